// Independent check of our credentials with the reference JavaScript stack.
//
// Usage: node verify.mjs BUNDLE.json
//   BUNDLE = {"documents": {url: document}, "credentials": [credential, ...],
//             "bench": {"rounds": n, "secretKeyMultibase": ..., ...} (optional)}
// Prints one JSON object: {"results": [{"verified": bool, "error": str}], "bench": {...}}.
// Every context and DID document comes from the bundle: nothing is fetched.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';

const bundle = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const documents = bundle.documents || {};

async function documentLoader(url) {
  const [base, fragment] = url.split('#');
  const doc = documents[base];
  if (!doc) {
    throw new Error(`document not in bundle: ${url}`);
  }
  if (fragment === undefined) {
    return {contextUrl: null, documentUrl: url, document: doc};
  }
  const methods = doc.verificationMethod || [];
  const method = methods.find(m => m.id === url);
  if (!method) {
    throw new Error(`verification method not found: ${url}`);
  }
  return {
    contextUrl: null,
    documentUrl: url,
    document: {'@context': 'https://w3id.org/security/multikey/v1', ...method},
  };
}

// Status is checked by our own verifier; here we only need the hook present.
const checkStatus = async () => ({verified: true});

async function verifyOne(credential) {
  const suite = new DataIntegrityProof({cryptosuite});
  try {
    const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
    if (result.verified) {
      return {verified: true};
    }
    const errors = [];
    if (result.error) {
      errors.push(result.error.message || String(result.error));
      for (const e of result.error.errors || []) {
        errors.push(e.message || String(e));
      }
    }
    for (const r of result.results || []) {
      if (r.error) {
        errors.push(r.error.message || String(r.error));
      }
    }
    return {verified: false, error: errors.join('; ') || 'not verified'};
  } catch(e) {
    return {verified: false, error: e.message || String(e)};
  }
}

const out = {results: []};
for (const credential of bundle.credentials || []) {
  out.results.push(await verifyOne(credential));
}

if (bundle.bench) {
  const b = bundle.bench;
  const rounds = b.rounds;
  const keyPair = await Ed25519Multikey.from({
    id: b.verificationMethod,
    controller: b.controller,
    publicKeyMultibase: b.publicKeyMultibase,
    secretKeyMultibase: b.secretKeyMultibase,
  });
  const unsigned = b.unsigned;
  let start = performance.now();
  let signed = [];
  for (let i = 0; i < rounds; i++) {
    const credential = structuredClone(unsigned[i % unsigned.length]);
    const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite});
    suite.date = b.created;
    signed.push(await vc.issue({credential, suite, documentLoader}));
  }
  const signSeconds = (performance.now() - start) / 1000;
  const toVerify = b.signed;
  start = performance.now();
  let ok = 0;
  for (let i = 0; i < rounds; i++) {
    const r = await verifyOne(toVerify[i % toVerify.length]);
    if (r.verified) ok++;
  }
  const verifySeconds = (performance.now() - start) / 1000;
  out.bench = {
    rounds,
    sign_per_second: rounds / signSeconds,
    verify_per_second: rounds / verifySeconds,
    verified: ok,
    first_signed: signed[0],
  };
}
process.stdout.write(JSON.stringify(out));
