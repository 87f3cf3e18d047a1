/**
 * Certificates made in-process (WebCrypto, ECDSA P-256, `@peculiar/x509`): a certificate
 * authority, and certificates it issues for servers or clients. The development CA
 * (`dev-ca.ts`) is made with these, and so are the tests' CAs (a TLS Redis, say).
 */
import { randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A CA that can still sign: its certificate and its keys (the private one not extractable). */
export interface CertificateAuthority {
  readonly cert: x509.X509Certificate;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A certificate and its private key, both PEM. */
export interface IssuedCertificate {
  readonly cert: string;
  readonly key: string;
}

/** What a certificate is for and whom it names. */
export interface Issuing {
  readonly subject: string;
  readonly usage: 'server' | 'client';
  /** Subject alternative names (a server's host names and addresses). */
  readonly dns?: readonly string[];
  readonly ip?: readonly string[];
}

/**
 * A new CA valid from `notBefore` to `notAfter`, allowed to sign end certificates only.
 *
 * @example
 * const ca = await createAuthority('CN=test CA', new Date(), new Date(Date.now() + 86_400_000));
 * const server = await issueCertificate(ca, { subject: 'CN=localhost', usage: 'server', ip: ['127.0.0.1'] });
 */
export async function createAuthority(
  name: string,
  notBefore: Date,
  notAfter: Date,
): Promise<CertificateAuthority> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name,
      notBefore,
      notAfter,
      signingAlgorithm: ALGORITHM,
      keys,
      extensions: [
        // pathLength 0: the CA signs end certificates, never another CA.
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return { cert, keys, notBefore, notAfter };
}

/** A certificate the CA signs, valid as long as the CA, with a fresh key. */
export async function issueCertificate(
  ca: CertificateAuthority,
  issuing: Issuing,
): Promise<IssuedCertificate> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const names = [
    ...(issuing.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(issuing.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: issuing.subject,
      issuer: ca.cert.subject,
      notBefore: ca.notBefore,
      notAfter: ca.notAfter,
      signingAlgorithm: ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([
          issuing.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
        ]),
        ...(names.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(names)]),
        await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey, false, webcrypto),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { cert: cert.toString('pem'), key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

/** 16 random bytes, positive as DER integers must be. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}
