/**
 * The development certificate authority: a CA and one server certificate it signed for
 * `localhost`, `127.0.0.1` and `::1`, made in-process (WebCrypto, ECDSA P-256) and kept in the
 * gateway's data directory so that a client told to trust the CA once goes on trusting it across
 * restarts. The CA's private key is never written anywhere: it signs the server certificate and
 * is dropped, so trusting the CA trusts that one certificate and nothing else anyone could make
 * later. When the set is no longer usable (a file missing or unreadable, the certificate about
 * to expire), a new CA and certificate replace it together.
 */
import { createPrivateKey, X509Certificate as NodeCertificate, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createAuthority, issueCertificate } from './certificates.js';

/** The names the server certificate is for: loopback only. */
export const DEV_TLS_NAMES = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] } as const;

/** Where the set lives inside the data directory, and its files. */
export const DEV_TLS_DIR = 'dev-tls';
const CA_FILE = 'ca.pem';
const CERT_FILE = 'cert.pem';
const KEY_FILE = 'key.pem';

/** 825 days: the longest validity Apple's platforms accept for a TLS server certificate. */
const VALIDITY_MS = 825 * 24 * 60 * 60_000;
/** A set that expires sooner than this is replaced. */
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60_000;

/** The development CA's certificate and the server certificate and key it vouches for. */
export interface DevCertificates {
  /** Absolute path of the CA certificate (PEM): what `NODE_EXTRA_CA_CERTS` names. */
  readonly caFile: string;
  readonly ca: string;
  /** The server certificate and its private key (PEM). */
  readonly cert: string;
  readonly key: string;
  /** True when this call made the set, false when it found a usable one. */
  readonly created: boolean;
}

/**
 * Returns the development certificates kept in `dataDir`, making them first when there are none
 * or they are no longer usable. Safe to call from several processes at once (the workers of a
 * cluster): a set is written to a directory of its own and renamed into place, and a process that
 * loses that race takes the winner's.
 *
 * @example
 * const dev = await ensureDevCertificates('/srv/gateway/.realtime-gateway');
 * https.createServer({ cert: dev.cert, key: dev.key }, handler);
 * console.log(`NODE_EXTRA_CA_CERTS=${dev.caFile}`);
 */
export async function ensureDevCertificates(dataDir: string, now = new Date()): Promise<DevCertificates> {
  const dir = join(dataDir, DEV_TLS_DIR);
  const found = await readUsable(dir, now);
  if (found !== null) return { ...found, created: false };
  await mkdir(dataDir, { recursive: true });
  const made = await makeSet(now);
  const staging = await mkdtemp(join(dataDir, `${DEV_TLS_DIR}.new-`));
  await writeFile(join(staging, CA_FILE), made.ca);
  await writeFile(join(staging, CERT_FILE), made.cert);
  await writeFile(join(staging, KEY_FILE), made.key, { mode: 0o600 });
  // A set that is there but unusable is moved aside first; renaming onto it would fail.
  const stale = `${dir}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
  await rename(dir, stale).catch(() => {});
  try {
    await rename(staging, dir);
  } catch (error) {
    // Another process put its set in place between the two renames: take that one.
    await rm(staging, { recursive: true, force: true });
    const theirs = await readUsable(dir, now);
    if (theirs === null) throw error;
    return { ...theirs, created: false };
  } finally {
    await rm(stale, { recursive: true, force: true });
  }
  return { caFile: join(dir, CA_FILE), ...made, created: true };
}

/** The set in `dir` if every file is there and the certificate is one the CA signed, for our names, not expiring. */
async function readUsable(dir: string, now: Date): Promise<Omit<DevCertificates, 'created'> | null> {
  try {
    const [ca, cert, key] = await Promise.all(
      [CA_FILE, CERT_FILE, KEY_FILE].map((file) => readFile(join(dir, file), 'utf8')),
    );
    const caCert = new NodeCertificate(ca!);
    const leaf = new NodeCertificate(cert!);
    const usable =
      caCert.ca &&
      leaf.checkIssued(caCert) &&
      leaf.verify(caCert.publicKey) &&
      leaf.checkPrivateKey(createPrivateKey(key!)) &&
      Date.parse(leaf.validTo) - now.getTime() > RENEW_BEFORE_MS &&
      Date.parse(leaf.validFrom) <= now.getTime() &&
      DEV_TLS_NAMES.dns.every((name) => leaf.checkHost(name) !== undefined) &&
      DEV_TLS_NAMES.ip.every((ip) => leaf.checkIP(ip) !== undefined);
    return usable ? { caFile: join(dir, CA_FILE), ca: ca!, cert: cert!, key: key! } : null;
  } catch {
    return null;
  }
}

/** A new CA and a server certificate it signs; the CA's private key goes out of scope here. */
async function makeSet(now: Date): Promise<{ ca: string; cert: string; key: string }> {
  // Back a little, so that a clock slightly behind this one does not see a certificate from the future.
  const notBefore = new Date(now.getTime() - 60 * 60_000);
  const notAfter = new Date(now.getTime() + VALIDITY_MS);
  // Told apart from an earlier one (in a trust store, say) by a random part, the machine and the day.
  const made = now.toISOString().slice(0, 10);
  const machine = hostname().replace(/[^A-Za-z0-9.-]/g, '');
  const ca = await createAuthority(
    `CN=realtime-gateway development CA ${randomBytes(4).toString('hex')} ${machine} ${made}, O=realtime-gateway development`,
    notBefore,
    notAfter,
  );
  const server = await issueCertificate(ca, {
    subject: 'CN=localhost, O=realtime-gateway development',
    usage: 'server',
    dns: DEV_TLS_NAMES.dns,
    ip: DEV_TLS_NAMES.ip,
  });
  return { ca: ca.cert.toString('pem'), ...server };
}
