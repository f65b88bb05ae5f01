export function IdePage(_props: { projectId: string; taskId: string | null }) {
  return null;
}
