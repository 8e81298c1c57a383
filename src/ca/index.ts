/**
 * The fleet CA (docs/ca.md): makes the CA and the brokers' certificate, takes agents' CSRs,
 * signs them and operator identities, revokes, and lists what it signed. Files under
 * `STATE/ca/` (paths.ts); every change under one lock (indexWriter.ts). Uses the system openssl.
 *
 * Library surface, listed one by one (no `export *`).
 */
export { initCa, renewBrokerCertificate, brokerAltNames, defaultCaDays, maxBrokerDays, type InitOptions, type InitResult, type BrokerCertificate } from './init.js';
export { submitCsr, listPending, readPendingEntry, type PendingCsr, type CsrSource, type SubmitOptions } from './pending.js';
export { checkCsr, maxCsrBytes, type CheckedCsr } from './csr.js';
export { signPending, signOperator, signJoin, defaultCertDays, defaultJoinDays, type SignOptions } from './sign.js';
export { certifyCsr, type CertifyOptions, type Certified } from './certify.js';
export { revokeCertificate } from './revoke.js';
export { listCa, showCertificate, type CaListing, type CertificateDetails } from './list.js';
export { certificateStatus, viewOf, type CertStatus, type CertView } from './certificate.js';
export { CaError, CsrRefusedError } from './errors.js';
export { isCaName, subjectOf, userNameOf, shortDigest } from './names.js';
export { readIndex, activeCertificates, type CaIndex, type CertKind, type CertRecord } from './records.js';
export { caPaths, stateDirFor, operatorFiles, brokerDir, type CaPaths, type OperatorFiles } from './paths.js';
export type { ValidityOptions } from './issue.js';
