// An app built on selfdata, in a page and a script: sign in with Solid-OIDC
// (Inrupt's browser library: PKCE, DPoP), read the energy summary from the
// JSON API (described in /openapi.json), and follow the pod's electricity
// folder with a Solid Notifications websocket: when a new reading lands
// there (an import, a holder's push), read the summary again.

import { Session } from '@inrupt/solid-client-authn-browser';

const session = new Session();
const $ = (id) => document.getElementById(id);
const here = () => window.location.href.split('?')[0].split('#')[0];

function fail(message) {
  $('error').textContent = message;
}

// The pod's root: the container above the WebID's profile document.
function podOf(webId) {
  return new URL('../', webId.split('#')[0]).href;
}

async function showSummary(pod) {
  const r = await session.fetch(`${pod}selfdata/energy/api/summary?fluid=electricity`);
  if (!r.ok) {
    const problem = await r.json().catch(() => ({}));
    throw new Error(problem.detail || `The energy API answered ${r.status}.`);
  }
  const s = await r.json();
  $('readings').textContent = String(s.readings);
  const month = s.this_month;
  $('kwh').textContent = month && month.value !== null ? month.value.toFixed(1) : '–';
  $('to').textContent = s.this_month_to || '…';
  $('euros').textContent = month && month.euros !== null ? `about ${month.euros.toFixed(2)} €` : '';
}

// The storage description names the subscription services (Solid
// Notifications Protocol): ask for it as JSON-LD and take the websocket one.
async function websocketService(pod) {
  const r = await fetch(`${pod}.well-known/solid`, { headers: { accept: 'application/ld+json' } });
  const graph = await r.json();
  const nodes = Array.isArray(graph) ? graph : graph['@graph'] || [graph];
  const type = 'http://www.w3.org/ns/solid/notifications#channelType';
  const ws = 'http://www.w3.org/ns/solid/notifications#WebSocketChannel2023';
  const service = nodes.find((n) => (n[type] || []).some((t) => t['@id'] === ws));
  if (!service) throw new Error('This server offers no websocket notifications.');
  return service['@id'];
}

async function follow(pod, onChange) {
  const service = await websocketService(pod);
  const r = await session.fetch(service, {
    method: 'POST',
    headers: { 'content-type': 'application/ld+json' },
    body: JSON.stringify({
      '@context': ['https://www.w3.org/ns/solid/notification/v1'],
      type: 'http://www.w3.org/ns/solid/notifications#WebSocketChannel2023',
      topic: `${pod}selfdata/energy/electricity/`,
    }),
  });
  if (!r.ok) throw new Error(`The subscription was refused (${r.status}).`);
  const channel = await r.json();
  const socket = new WebSocket(channel.receiveFrom);
  socket.onmessage = (event) => onChange(JSON.parse(event.data));
  socket.onclose = () => fail('The live updates stopped; reload the page to start them again.');
}

async function main() {
  await session.handleIncomingRedirect({ url: window.location.href });
  if (!session.info.isLoggedIn) {
    $('sign-in').hidden = false;
    $('sign-in').addEventListener('submit', async (event) => {
      event.preventDefault();
      await session.login({
        oidcIssuer: $('server').value,
        redirectUrl: here(),
        clientName: 'Energy at a glance',
      });
    });
    return;
  }
  const webId = session.info.webId;
  const pod = podOf(webId);
  $('webid').textContent = webId;
  $('figures').hidden = false;
  window.history.replaceState(null, '', here());
  await showSummary(pod);
  let updates = 0;
  await follow(pod, async () => {
    updates += 1;
    await showSummary(pod);
    $('updates').textContent = String(updates);
    $('updated').textContent = new Date().toLocaleTimeString();
  });
  document.body.dataset.following = 'yes';
}

main().catch((e) => fail(e.message));
