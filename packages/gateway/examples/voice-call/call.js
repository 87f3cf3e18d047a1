// A voice call through the gateway, as a browser app makes one. `?gateway=` says where the
// gateway is (default http://127.0.0.1:8080, `npm start`), `?key=` a gateway key if it needs one.
//
// In an application the client secret comes from the application's own server, which holds the
// gateway key; this page mints it itself only so that it works on its own against `npm start`.
const params = new URLSearchParams(location.search);
const gateway = params.get('gateway') ?? 'http://127.0.0.1:8080';
const key = params.get('key');
const $ = (id) => document.getElementById(id);

/** What the page saw, for a person reading the log and for the end-to-end test reading it back. */
const call = { state: 'idle', callId: null, events: [], errors: [], channel: null, peer: null };
window.voiceCall = call;

function setState(state) {
  call.state = state;
  $('state').textContent = state;
}

function log(line) {
  const out = $('log');
  out.textContent += `${line}\n`;
  out.scrollTop = out.scrollHeight;
}

async function post(path, body, headers) {
  const response = await fetch(`${gateway}/v1/realtime/${path}`, { method: 'POST', body, headers });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return response;
}

async function start() {
  setState('minting');
  const minted = await post(
    'client_secrets',
    JSON.stringify({ session: { type: 'realtime', model: params.get('model') ?? 'gpt-realtime' } }),
    { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
  );
  const secret = (await minted.json()).value;

  const peer = new RTCPeerConnection();
  call.peer = peer;
  peer.ontrack = (event) => {
    $('remote').srcObject = event.streams[0];
  };
  const microphone = await navigator.mediaDevices.getUserMedia({ audio: true });
  for (const track of microphone.getAudioTracks()) peer.addTrack(track, microphone);
  const channel = peer.createDataChannel('oai-events');
  call.channel = channel;
  channel.onopen = () => {
    setState('connected');
    $('hangup').disabled = false;
    for (const input of $('say').elements) input.disabled = false;
  };
  channel.onmessage = (message) => {
    const event = JSON.parse(message.data);
    call.events.push(event);
    if (event.type === 'error') call.errors.push(event.error);
    // Audio arrives on the track; the log shows what the model says and does.
    if (event.type === 'response.output_audio_transcript.done') log(`model: ${event.transcript}`);
    else if (event.type === 'conversation.item.input_audio_transcription.completed')
      log(`you: ${event.transcript}`);
    else if (!event.type.endsWith('.delta')) log(event.type);
  };
  peer.onconnectionstatechange = () => {
    if (peer.connectionState === 'failed' || peer.connectionState === 'closed')
      setState(peer.connectionState);
  };

  setState('calling');
  await peer.setLocalDescription(await peer.createOffer());
  const answer = await post('calls', peer.localDescription.sdp, {
    authorization: `Bearer ${secret}`,
    'content-type': 'application/sdp',
  });
  call.callId = answer.headers.get('location')?.split('/').pop() ?? null;
  await peer.setRemoteDescription({ type: 'answer', sdp: await answer.text() });
}

function send(event) {
  call.channel?.send(JSON.stringify(event));
}

$('call').onclick = () => {
  $('call').disabled = true;
  start().catch((error) => {
    call.errors.push({ message: String(error.message ?? error) });
    log(String(error.message ?? error));
    setState('failed');
    $('call').disabled = false;
  });
};

$('hangup').onclick = () => {
  call.peer?.close();
  setState('closed');
  $('hangup').disabled = true;
  $('call').disabled = false;
};

$('say').onsubmit = (event) => {
  event.preventDefault();
  const text = $('text').value.trim();
  if (text === '') return;
  $('text').value = '';
  log(`you: ${text}`);
  send({
    type: 'conversation.item.create',
    item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  });
  send({ type: 'response.create' });
};

$('gateway').textContent = gateway;
window.voiceCallSend = send;
