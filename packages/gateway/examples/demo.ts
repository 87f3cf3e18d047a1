/**
 * A tour of the gateway with the official `openai` SDK's realtime WebSocket client: a text
 * turn, an audio turn from a WAV file, and a tool call, printed as a conversation.
 *
 * With no argument it runs everything offline: the reference engine and a gateway serving TLS
 * (the SDK only speaks `wss:`) with a throwaway certificate. With `--url https://host:port/v1`
 * (and `--ca cert.pem` for a private CA) it talks to a running gateway instead: against
 * `npm start`, its development TLS URL, trusting its CA with the line it prints.
 *
 *   npm run demo
 *   NODE_EXTRA_CA_CERTS=$PWD/.realtime-gateway/dev-tls/ca.pem npm run demo -- --url https://127.0.0.1:8443/v1
 *   npm run demo -- --url https://gateway.internal:8443/v1 --ca ca.pem --key rg-...
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startEngine } from '@realtime-gateway/engine';
import { resolveConfig } from '../src/config/resolve.js';
import { createGateway } from '../src/gateway.js';
import { openSdkSession } from './sdk-session.js';
import { selfSignedCertificate } from './tls-certificate.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    ca: { type: 'string' },
    key: { type: 'string' },
    wav: { type: 'string' },
  },
});

/** The PCM16 samples of a 24 kHz mono WAV file (what the realtime API takes by default). */
function readWav(path: string): Buffer {
  const file = readFileSync(path);
  if (file.toString('ascii', 0, 4) !== 'RIFF' || file.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error(`${path} is not a WAV file`);
  let at = 12;
  let format: { channels: number; rate: number; bits: number } | null = null;
  while (at + 8 <= file.length) {
    const id = file.toString('ascii', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    if (id === 'fmt ')
      format = {
        channels: file.readUInt16LE(at + 10),
        rate: file.readUInt32LE(at + 12),
        bits: file.readUInt16LE(at + 22),
      };
    if (id === 'data') {
      if (format?.channels !== 1 || format.rate !== 24_000 || format.bits !== 16) {
        throw new Error(`${path}: expected 24 kHz mono 16-bit PCM, got ${JSON.stringify(format)}`);
      }
      return file.subarray(at + 8, at + 8 + size);
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${path} has no data chunk`);
}

/** Starts the engine and a TLS gateway in this process; returns the SDK base URL and CA. */
async function startOffline(): Promise<{ baseUrl: string; ca: string; stop(): Promise<void> }> {
  const certificate = await selfSignedCertificate();
  const engine = await startEngine({ deltaDelayMs: 5 });
  const config = resolveConfig(
    {
      server: {
        host: '127.0.0.1',
        port: 0,
        tls: { certFile: certificate.certFile, keyFile: certificate.keyFile },
      },
      upstreams: [{ name: 'engine', baseUrl: `http://127.0.0.1:${engine.port}/v1` }],
      log: { level: 'silent' },
    },
    { env: {}, readFile: (path) => readFileSync(path, 'utf8') },
  );
  if (!config.ok) throw new Error(JSON.stringify(config.errors));
  const gateway = createGateway({ config: config.config });
  const address = await gateway.listen();
  return {
    baseUrl: `${address.url}/v1`,
    ca: certificate.cert,
    async stop() {
      await gateway.close();
      await engine.close();
    },
  };
}

/** The SDK speaks `wss:` only: a plain URL cannot work, so say what does. */
const PLAIN_URL_HINT =
  "The openai SDK's realtime client connects over TLS only (wss:), so --url must be https://. " +
  '`npm start` serves TLS on a second port with a development CA and prints both: use its ' +
  "'openai SDK: https://127.0.0.1:8443/v1' URL, and put its NODE_EXTRA_CA_CERTS=… line in " +
  'front of the command (or pass --ca with that file).';

/** What to do when the gateway's certificate is not trusted. */
const UNTRUSTED_HINT =
  "The gateway's certificate is not trusted. Against `npm start`, put the NODE_EXTRA_CA_CERTS=… " +
  'line it printed in front of the command; for a private CA, pass --ca FILE.';

async function main(): Promise<void> {
  if (values.url !== undefined && !/^https:\/\//i.test(values.url)) {
    process.stderr.write(`demo: ${values.url}: ${PLAIN_URL_HINT}\n`);
    process.exitCode = 2;
    return;
  }
  const offline = values.url === undefined ? await startOffline() : null;
  const baseUrl = offline?.baseUrl ?? values.url!;
  const ca = offline?.ca ?? (values.ca ? readFileSync(values.ca, 'utf8') : undefined);
  const { rt, next, say, appendAudio } = await openSdkSession(
    baseUrl,
    ca,
    'gpt-realtime',
    values.key ?? process.env.OPENAI_API_KEY ?? 'demo-key',
  ).catch((error: Error) => {
    const untrusted = /certificate/i.test(error.message);
    process.stderr.write(`demo: cannot open a session at ${baseUrl}: ${error.message}\n`);
    if (untrusted) process.stderr.write(`demo: ${UNTRUSTED_HINT}\n`);
    process.exit(1);
  });
  rt.on('event', (event) => {
    if (event.type === 'error') console.log(`  ! ${event.error.message}`);
  });
  console.log(`connected to ${baseUrl.replace(/^http/, 'ws')}/realtime through the gateway\n`);

  rt.send({
    type: 'session.update',
    session: {
      type: 'realtime',
      output_modalities: ['text'],
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: 'The weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
    },
  });
  await next('session.updated');

  // 1. A text turn.
  const hello = 'Hello, gateway!';
  console.log(`user:      ${hello}`);
  say(hello);
  console.log(`assistant: ${(await next('response.output_text.done')).text}`);
  await next('response.done');

  // 2. An audio turn from a WAV file: the server detects the speech and answers in audio.
  const wav = values.wav ?? new URL('./speech.wav', import.meta.url).pathname;
  const pcm = readWav(wav);
  rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['audio'] } });
  await next('session.updated');
  console.log(`user:      [${(pcm.length / 48).toFixed(0)} ms of audio from ${wav.split('/').at(-1)}]`);
  appendAudio(pcm);
  const heard = await next('response.output_audio_transcript.done');
  console.log(`assistant: ${heard.transcript} [spoken]`);
  await next('response.done');

  // 3. A tool call, answered by the client.
  rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
  await next('session.updated');
  const ask = 'call get_weather {"city":"Paris"}';
  console.log(`user:      ${ask}`);
  say(ask);
  const call = await next('response.function_call_arguments.done');
  console.log(`tool call: ${call.name}(${call.arguments})`);
  await next('response.done');
  const output = JSON.stringify({ city: 'Paris', sky: 'clear', celsius: 21 });
  console.log(`tool:      ${output}`);
  rt.send({
    type: 'conversation.item.create',
    item: { type: 'function_call_output', call_id: call.call_id as string, output },
  });
  rt.send({ type: 'response.create' });
  console.log(`assistant: ${(await next('response.output_text.done')).text}`);
  await next('response.done');

  const closed = new Promise((resolve) => rt.socket.once('close', resolve));
  rt.close();
  await closed;
  await offline?.stop();
}

await main();
