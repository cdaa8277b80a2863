// A real Solid client against selfdata: Inrupt's solid-client-authn-node
// (client credentials, DPoP-bound tokens) and solid-client sign in as alice,
// write a Turtle resource and a text file in her pod, read them back, are
// refused (403) on bob's pod, and an anonymous request is refused (401).
//
// Environment: SELFDATA_BASE (http://127.0.0.1:PORT), ALICE_CLIENT_ID,
// ALICE_CLIENT_SECRET, ALICE_WEBID, ALICE_POD (alice's pod root, ending in
// "/"; derived from the WebID when absent), BOB_POD (bob's pod root).

import assert from "node:assert/strict";
import { Session } from "@inrupt/solid-client-authn-node";
import {
  buildThing,
  createSolidDataset,
  createThing,
  deleteFile,
  getAgentAccess,
  getContainedResourceUrlAll,
  getEffectiveAccess,
  getFile,
  getPodUrlAll,
  getSolidDataset,
  getSolidDatasetWithAcl,
  getStringNoLocale,
  getThing,
  hasResourceAcl,
  isContainer,
  overwriteFile,
  saveSolidDatasetAt,
  setThing,
} from "@inrupt/solid-client";

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`missing environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

const BASE = env("SELFDATA_BASE").replace(/\/$/, "");
const CLIENT_ID = env("ALICE_CLIENT_ID");
const CLIENT_SECRET = env("ALICE_CLIENT_SECRET");
const WEBID = env("ALICE_WEBID");
const ALICE_POD = process.env.ALICE_POD || new URL("../", WEBID.split("#")[0]).href;
const BOB_POD = env("BOB_POD");

const SCHEMA_NAME = "https://schema.org/name";
const DCTERMS_TITLE = "http://purl.org/dc/terms/title";

let n = 0;
function step(message) {
  n += 1;
  console.log(`${n}. ${message}`);
}

/** The HTTP status of a failed solid-client call. */
function statusOf(error) {
  return error?.statusCode ?? error?.response?.status;
}

// Never hang the Rust test that runs this script.
setTimeout(() => {
  console.error(`FAILED: timed out after 60 s at step ${n}`);
  process.exit(1);
}, 60_000).unref();

async function main() {
  const session = new Session();
  try {
    step(`sign in with client credentials at ${BASE}/ (DPoP)`);
    await session.login({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      oidcIssuer: `${BASE}/`,
      tokenType: "DPoP",
    });
    assert.equal(session.info.isLoggedIn, true, "the session is not logged in");
    assert.equal(session.info.webId, WEBID, "the session speaks for another WebID");
    console.log(`   signed in as ${session.info.webId}`);

    step("find alice's pod from her WebID profile (pim:storage)");
    const pods = await getPodUrlAll(WEBID, { fetch: session.fetch });
    assert.ok(pods.includes(ALICE_POD), `pods of ${WEBID}: ${JSON.stringify(pods)}`);

    const noteUrl = `${ALICE_POD}notes/e2e.ttl`;
    step(`write a Turtle resource at ${noteUrl}`);
    const note = buildThing(createThing({ name: "note" }))
      .addStringNoLocale(SCHEMA_NAME, "Alice's note")
      .addStringNoLocale(DCTERMS_TITLE, "Written by Inrupt's solid-client")
      .build();
    await saveSolidDatasetAt(noteUrl, setThing(createSolidDataset(), note), {
      fetch: session.fetch,
    });

    step("read it back");
    const read = await getSolidDataset(noteUrl, { fetch: session.fetch });
    const thing = getThing(read, `${noteUrl}#note`);
    assert.ok(thing, `${noteUrl}#note is not in the document read back`);
    assert.equal(getStringNoLocale(thing, SCHEMA_NAME), "Alice's note");
    assert.equal(getStringNoLocale(thing, DCTERMS_TITLE), "Written by Inrupt's solid-client");
    console.log(`   schema:name is "${getStringNoLocale(thing, SCHEMA_NAME)}"`);
    // WAC-Allow: alice may read and write her own note, the public nothing
    // (getEffectiveAccess reports read, append and write only).
    const access = getEffectiveAccess(read);
    assert.deepEqual(access.user, { read: true, append: true, write: true });
    assert.deepEqual(access.public, { read: false, append: false, write: false });

    step("change it and save again (the client sends a PATCH)");
    const changed = setThing(
      read,
      buildThing(thing).setStringNoLocale(SCHEMA_NAME, "Alice's changed note").build(),
    );
    await saveSolidDatasetAt(noteUrl, changed, { fetch: session.fetch });
    const reread = await getSolidDataset(noteUrl, { fetch: session.fetch });
    assert.equal(
      getStringNoLocale(getThing(reread, `${noteUrl}#note`), SCHEMA_NAME),
      "Alice's changed note",
    );

    const fileUrl = `${ALICE_POD}notes/hello.txt`;
    step(`write a text file at ${fileUrl}`);
    const text = "Hello from the Inrupt client\n";
    await overwriteFile(fileUrl, new Blob([text], { type: "text/plain" }), {
      contentType: "text/plain",
      fetch: session.fetch,
    });
    const file = await getFile(fileUrl, { fetch: session.fetch });
    assert.equal(await file.text(), text);
    console.log("   read back the same bytes");

    step("list the notes/ container and read the pod root's access control list");
    const notes = await getSolidDataset(`${ALICE_POD}notes/`, { fetch: session.fetch });
    assert.ok(isContainer(notes), "notes/ is not a container");
    assert.deepEqual(getContainedResourceUrlAll(notes).sort(), [fileUrl, noteUrl].sort());
    const root = await getSolidDatasetWithAcl(ALICE_POD, { fetch: session.fetch });
    assert.ok(hasResourceAcl(root), "the pod root's ACL is not readable by its owner");
    assert.deepEqual(getAgentAccess(root, WEBID), {
      read: true,
      append: true,
      write: true,
      control: true,
    });

    step("delete the text file");
    await deleteFile(fileUrl, { fetch: session.fetch });
    await assert.rejects(getFile(fileUrl, { fetch: session.fetch }), (error) => {
      assert.equal(statusOf(error), 404, `expected 404, got ${statusOf(error)}: ${error}`);
      return true;
    });

    const intruding = `${BOB_POD}notes/from-alice.ttl`;
    step(`try to write into bob's pod at ${intruding} (must be refused with 403)`);
    await assert.rejects(
      saveSolidDatasetAt(intruding, setThing(createSolidDataset(), note), {
        fetch: session.fetch,
      }),
      (error) => {
        assert.equal(statusOf(error), 403, `expected 403, got ${statusOf(error)}: ${error}`);
        return true;
      },
      "writing into bob's pod succeeded",
    );
    await assert.rejects(
      overwriteFile(`${BOB_POD}hello.txt`, new Blob(["no"], { type: "text/plain" }), {
        contentType: "text/plain",
        fetch: session.fetch,
      }),
      (error) => {
        assert.equal(statusOf(error), 403, `expected 403, got ${statusOf(error)}: ${error}`);
        return true;
      },
      "writing a file into bob's pod succeeded",
    );

    step("read alice's note without signing in (must be refused with 401)");
    const anonymous = await fetch(noteUrl);
    assert.equal(anonymous.status, 401, `anonymous read answered ${anonymous.status}`);
    const challenge = anonymous.headers.get("www-authenticate") ?? "";
    assert.match(challenge, /^DPoP\b|,\s*DPoP\b/i, `WWW-Authenticate: ${challenge}`);

    step("sign out");
    await session.logout();
    assert.equal(session.info.isLoggedIn, false, "still logged in after logout");
    console.log("all steps passed");
  } catch (error) {
    console.error(`FAILED at step ${n}: ${error?.stack ?? error}`);
    if (error?.response) {
      console.error(`   response: ${error.response.status} ${error.response.statusText}`);
    }
    process.exitCode = 1;
    // The session keeps a token-refresh timer; end it so that node exits.
    await session.logout().catch(() => {});
  }
}

await main();
process.exit(process.exitCode ?? 0);
