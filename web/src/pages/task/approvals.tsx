// What the task waits on a person for: a merge to approve, an agent's question, a command that
// needs the network. Approve, or reject with a reason.
import { useState, type FormEvent } from 'react';
import { ErrorNote, useAction, type Resource } from '../../ui';
import { taskApi, type Approval } from './api';
import { Ago } from './ticking';

const titles: Record<Approval['kind'], string> = {
  merge: 'Merge waiting for approval',
  question: 'An agent asks a question',
  network: 'A command needs the network',
};

/** The task's pending approvals, as banners; nothing when none waits. */
export function Approvals(props: { approvals: Resource<Approval[]>; onDecided: () => void }) {
  const { approvals, onDecided } = props;
  const pending = approvals.data?.filter((approval) => approval.status === 'pending') ?? [];
  if (approvals.error && approvals.data === undefined)
    return <ErrorNote error={approvals.error} onRetry={approvals.reload} />;
  if (pending.length === 0) return null;
  return (
    <div className="task-approvals" data-testid="approvals">
      {pending.map((approval) => (
        <ApprovalCard key={approval.id} approval={approval} onDecided={onDecided} />
      ))}
    </div>
  );
}

function ApprovalCard({ approval, onDecided }: { approval: Approval; onDecided: () => void }) {
  const [isRejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [answer, setAnswer] = useState('');
  // Stays busy once decided: the reload that follows removes the card.
  const decide = useAction(
    async (verdict: 'approve' | 'reject', text: string) => {
      await taskApi.decide(approval.id, verdict, text.trim() || undefined);
      onDecided();
    },
    { staysBusy: true },
  );
  const isSending = decide.isBusy;
  const reject = (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim()) void decide.run('reject', reason);
  };

  return (
    <section className="task-approval" aria-label={titles[approval.kind]} data-kind={approval.kind}>
      <div className="approval-text">
        <h2>{titles[approval.kind]}</h2>
        <p>{approval.question}</p>
        <p className="muted approval-time">
          Asked <Ago iso={approval.createdAt} />
        </p>
      </div>
      {isRejecting ? (
        <form className="approval-form" onSubmit={reject}>
          <label>
            Reason
            <textarea
              name="reason"
              value={reason}
              onChange={(event) => setReason(event.target.value)}
              placeholder="Why not? The task's agents and your team see this."
              rows={2}
              autoFocus
            />
          </label>
          <div className="approval-actions">
            <button type="submit" className="danger" disabled={!reason.trim() || isSending}>
              {isSending ? 'Rejecting…' : 'Reject'}
            </button>
            <button type="button" onClick={() => setRejecting(false)} disabled={isSending}>
              Back
            </button>
          </div>
        </form>
      ) : (
        <div className="approval-form">
          {approval.kind === 'question' && (
            <label>
              Answer <small className="muted">(optional)</small>
              <textarea
                name="answer"
                value={answer}
                onChange={(event) => setAnswer(event.target.value)}
                rows={2}
              />
            </label>
          )}
          <div className="approval-actions">
            <button
              className="primary"
              onClick={() => void decide.run('approve', answer)}
              disabled={isSending}
            >
              {isSending ? 'Approving…' : 'Approve'}
            </button>
            <button onClick={() => setRejecting(true)} disabled={isSending}>
              Reject
            </button>
          </div>
        </div>
      )}
      {decide.error && <ErrorNote error={decide.error} />}
    </section>
  );
}
