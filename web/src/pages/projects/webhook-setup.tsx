// Shown once after a project with a git host is created: the webhook URL and secret to enter
// on the host, so that reviews and issues reach Cadre. The secret is not kept by the page.
import { CopyField } from '../../copy-field';

export function WebhookSetup({
  projectName,
  url,
  secret,
  onDone,
}: {
  projectName: string;
  url: string;
  secret: string;
  onDone: () => void;
}) {
  // Without CADRE_PUBLIC_URL the server answers a path: this page's origin is Cadre's.
  const fullUrl = url.startsWith('/') ? window.location.origin + url : url;
  return (
    <section className="webhook-setup" role="region" aria-label="Webhook setup">
      <h2>Webhook for {projectName}</h2>
      <p>
        Add a webhook on the host with this URL and secret (JSON, events: pull requests, reviews,
        comments, issues). The secret is shown once: copy it now. A new one can be made with{' '}
        <code>POST /api/projects/&lt;id&gt;/webhook-secret</code>.
      </p>
      <h3>Payload URL</h3>
      <CopyField label="Webhook URL" value={fullUrl} />
      <h3>Secret</h3>
      <CopyField label="Webhook secret" value={secret} />
      <button type="button" onClick={onDone}>
        Done, I have copied it
      </button>
    </section>
  );
}
