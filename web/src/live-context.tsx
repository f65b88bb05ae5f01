// The live connection for React: one LiveClient per signed-in session, and hooks to follow a
// scope for as long as a component shows it.
import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { LiveClient, type LiveMessage, type LiveScope, type LiveStatus } from './live';

const LiveContext = createContext<{ client: LiveClient | null; status: LiveStatus }>({
  client: null,
  status: 'closed',
});

/** One live connection for the signed-in page; the browser's session cookie authenticates it. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<LiveStatus>('connecting');
  const [client, setClient] = useState<LiveClient | null>(null);
  useEffect(() => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/live`;
    const created = new LiveClient({ url, onStatus: setStatus });
    setClient(created);
    return () => created.close();
  }, []);
  return <LiveContext.Provider value={{ client, status }}>{children}</LiveContext.Provider>;
}

export const useLiveStatus = () => useContext(LiveContext).status;
export const useLiveClient = () => useContext(LiveContext).client;

/**
 * Follows `scope` (none when null) while mounted; `onMessage` may change on every render.
 * `onResubscribed` runs when the subscription is made again after the connection came back:
 * what has no log to resume from (an organization, a project, an agent) should be read again.
 */
export function useLive(
  scope: LiveScope | null,
  onMessage: (message: LiveMessage) => void,
  onResubscribed?: () => void,
) {
  const { client } = useContext(LiveContext);
  const handlers = useRef({ onMessage, onResubscribed });
  handlers.current = { onMessage, onResubscribed };
  const key = scope && JSON.stringify(scope);
  useEffect(() => {
    if (!client || !key) return;
    let isSubscribed = false;
    const subscription = client.subscribe(JSON.parse(key) as LiveScope, (message) => {
      if (message.type === 'subscribed') {
        if (isSubscribed) handlers.current.onResubscribed?.();
        isSubscribed = true;
      }
      handlers.current.onMessage(message);
    });
    return () => subscription.unsubscribe();
  }, [client, key]);
}
