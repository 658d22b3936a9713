// Speed of the reference JavaScript stack on our credentials, for `make bench`
// (badges/management/commands/bench_credentials.py runs it pinned to the same
// core as the Python side, in the same run).
//
// Usage: node bench.mjs BUNDLE.json
//   BUNDLE = {"documents": {url: document}, "statusLists": {url: encodedList},
//             "rounds": n, "verificationMethod", "controller",
//             "publicKeyMultibase", "secretKeyMultibase",
//             "unsigned": [credential, ...], "created": [iso time per round],
//             "signed": [our signed credential per round]}
// Round i signs unsigned[i % unsigned.length] with created[i] (distinct times,
// as real credentials have) and verifies signed[i] twice:
//   - signature only: jsonld-signatures' verify with the eddsa-rdfc-2022 suite
//     (key from the bundled DID document, canonicalisation, hash, Ed25519);
//   - all checks this stack has: vc.verifyCredential (the credential's
//     structure and dates, the signature) with a real revocation check that
//     reads the bit from the bundled status list (decoded once per list, as a
//     verifier caching the list would). It has no JSON-schema check.
// Prints {"rounds", "sign_per_second", "verify_signature_per_second",
// "verify_all_per_second" (per wall second), the same three per CPU second
// ("sign_per_cpu_second", ...), "verified_signature", "verified_all",
// "proof_values": [per round]}.
import {readFileSync} from 'node:fs';
import {gunzipSync} from 'node:zlib';
import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const {AssertionProofPurpose} = jsigs.purposes;
const b = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const documents = b.documents || {};

async function documentLoader(url) {
  const [base, fragment] = url.split('#');
  const doc = documents[base];
  if (!doc) {
    throw new Error(`document not in bundle: ${url}`);
  }
  if (fragment === undefined) {
    return {contextUrl: null, documentUrl: url, document: doc};
  }
  const method = (doc.verificationMethod || []).find(m => m.id === url);
  if (!method) {
    throw new Error(`verification method not found: ${url}`);
  }
  return {
    contextUrl: null,
    documentUrl: url,
    document: {'@context': 'https://w3id.org/security/multikey/v1', ...method},
  };
}

const decoded = new Map();
function statusBits(url) {
  if (!decoded.has(url)) {
    const encoded = (b.statusLists || {})[url];
    if (!encoded || encoded[0] !== 'u') {
      throw new Error(`status list not in bundle: ${url}`);
    }
    decoded.set(url, gunzipSync(Buffer.from(encoded.slice(1), 'base64url')));
  }
  return decoded.get(url);
}

async function checkStatus({credential}) {
  const entries = [].concat(credential.credentialStatus || []);
  for (const entry of entries) {
    if (entry.statusPurpose !== 'revocation') {
      continue;
    }
    const bits = statusBits(entry.statusListCredential);
    const index = Number(entry.statusListIndex);
    if (bits[index >> 3] & (0x80 >> (index % 8))) {
      return {verified: false, error: new Error('revoked')};
    }
  }
  return {verified: true};
}

const rounds = b.rounds;
const keyPair = await Ed25519Multikey.from({
  id: b.verificationMethod,
  controller: b.controller,
  publicKeyMultibase: b.publicKeyMultibase,
  secretKeyMultibase: b.secretKeyMultibase,
});

// Warm up off the clock (JIT, contexts), as the Python side does.
for (let i = 0; i < Math.min(3, rounds); i++) {
  const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite});
  suite.date = b.created[0];
  const warm = await vc.issue({
    credential: structuredClone(b.unsigned[i % b.unsigned.length]),
    suite,
    documentLoader,
  });
  await vc.verifyCredential({
    credential: warm,
    suite: new DataIntegrityProof({cryptosuite}),
    documentLoader,
    checkStatus,
  });
}

// Each loop is timed by the clock and by this process's CPU time
// (process.cpuUsage: user and system, all of node's threads).
const cpuSeconds = since => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

let start = performance.now();
let cpuStart = process.cpuUsage();
const proofValues = [];
for (let i = 0; i < rounds; i++) {
  const credential = structuredClone(b.unsigned[i % b.unsigned.length]);
  const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite});
  suite.date = b.created[i];
  const signed = await vc.issue({credential, suite, documentLoader});
  proofValues.push(signed.proof.proofValue);
}
const signSeconds = (performance.now() - start) / 1000;
const signCpu = cpuSeconds(cpuStart);

start = performance.now();
cpuStart = process.cpuUsage();
let okSignature = 0;
for (let i = 0; i < rounds; i++) {
  const suite = new DataIntegrityProof({cryptosuite});
  const result = await jsigs.verify(b.signed[i], {
    suite,
    purpose: new AssertionProofPurpose(),
    documentLoader,
  });
  if (result.verified) okSignature++;
}
const signatureSeconds = (performance.now() - start) / 1000;
const signatureCpu = cpuSeconds(cpuStart);

start = performance.now();
cpuStart = process.cpuUsage();
let okAll = 0;
for (let i = 0; i < rounds; i++) {
  const suite = new DataIntegrityProof({cryptosuite});
  const result = await vc.verifyCredential({
    credential: b.signed[i],
    suite,
    documentLoader,
    checkStatus,
  });
  if (result.verified) okAll++;
}
const allSeconds = (performance.now() - start) / 1000;
const allCpu = cpuSeconds(cpuStart);

process.stdout.write(JSON.stringify({
  rounds,
  sign_per_second: rounds / signSeconds,
  verify_signature_per_second: rounds / signatureSeconds,
  verify_all_per_second: rounds / allSeconds,
  sign_per_cpu_second: rounds / signCpu,
  verify_signature_per_cpu_second: rounds / signatureCpu,
  verify_all_per_cpu_second: rounds / allCpu,
  verified_signature: okSignature,
  verified_all: okAll,
  proof_values: proofValues,
}));
