export function TasksPage(_props: Record<string, unknown>) {
  return <p className="muted">Coming up.</p>;
}
