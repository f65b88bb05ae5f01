export function TaskPage(_props: { taskId: string }) {
  return null;
}
