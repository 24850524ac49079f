// A typed usage example of the SDK as an app installs it (`@ringsfu/sdk`,
// mapped to webclient/static/sdk by tsconfig.json). `tsc --noEmit` over it
// (sdk-types.test.js) fails when the declarations lose a type an app uses.
import { RingsfuClient, RingsfuError, PROTOCOL_VERSION, type HelloResult, type User } from '@ringsfu/sdk';

const version: number = PROTOCOL_VERSION;

export async function ring(token: string, callee: User): Promise<string> {
  const client = new RingsfuClient({ requestTimeoutMs: 5000, reconnectWindowMs: Infinity, reconnectMaxDelayMs: 8000 });
  const hello: HelloResult = await client.connect({ token, url: 'ws://127.0.0.1:8080/v1/signal' });
  const me: User = hello.user;
  client.on('incomingCall', (inv: { callID: string }) => { void client.reject(inv.callID); });
  try {
    const res = await client.invite({ invitees: [callee], type: 'video' });
    const media = client.startMedia(res.callID);
    media.on('track', ({ track }: { track: MediaStreamTrack }) => console.log(me.id, track.kind, version));
    return res.callID;
  } catch (err) {
    if (err instanceof RingsfuError && err.code === 'busy') return '';
    throw err;
  }
}
