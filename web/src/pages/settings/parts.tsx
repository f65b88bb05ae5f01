// Small pieces the settings sections share: a confirmation step before anything destructive,
// a success note, and the note that says what the caller's role may not do.
import { useState, type ReactNode } from 'react';
import type { Identity } from './api';

/** A button that asks once more before `onConfirm`; `question` says what will happen. */
export function ConfirmButton(props: {
  label: string;
  question: string;
  confirmLabel: string;
  isBusy?: boolean;
  onConfirm: () => void;
}) {
  const [isAsking, setAsking] = useState(false);
  if (!isAsking) {
    return (
      <button
        className="link settings-danger"
        onClick={() => setAsking(true)}
        disabled={props.isBusy}
      >
        {props.label}
      </button>
    );
  }
  return (
    <span className="settings-confirm" role="group" aria-label={props.question}>
      <span>{props.question}</span>
      <button
        className="settings-danger-button"
        disabled={props.isBusy}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirmLabel}
      </button>
      <button onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}

export function Success({ children }: { children: ReactNode }) {
  return (
    <p className="settings-success" role="status">
      {children}
    </p>
  );
}

/** Whether the caller's role may manage keys and budgets (owners and admins). */
export const canManage = (identity: Identity | undefined) =>
  identity === undefined || identity.role === 'owner' || identity.role === 'admin';

/** Tells a member or viewer up front what the server will refuse. */
export function RoleNote({ identity, what }: { identity: Identity | undefined; what: string }) {
  if (canManage(identity)) return null;
  return (
    <p className="settings-note">
      Your role is <strong>{identity!.role}</strong>: you can see {what} but only an owner or an
      admin can change them.
    </p>
  );
}
