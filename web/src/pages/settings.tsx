export function SettingsPage(_props: Record<string, unknown>) {
  return <p className="muted">Coming up.</p>;
}
