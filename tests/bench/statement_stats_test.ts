import assert from "node:assert/strict";
import { withTransactionEnds } from "../../bench/support/statement_stats.ts";

Deno.test("withTransactionEnds counts one commit or rollback per begin", () => {
  const rows = withTransactionEnds([
    { query: "begin", calls: 50 },
    { query: "select $1 as x", calls: 50 },
    { query: "commit", calls: 1 },
    { query: "rollback", calls: 1 },
  ]);
  assert.deepEqual(rows, [
    { query: "begin", calls: 50 },
    { query: "select $1 as x", calls: 50 },
    { query: "commit / rollback (as many as begin)", calls: 50 },
  ]);
});

Deno.test("withTransactionEnds keeps counted ends when they exceed the begins", () => {
  const rows = withTransactionEnds([{ query: "select 1", calls: 3 }, {
    query: "COMMIT",
    calls: 2,
  }]);
  assert.deepEqual(rows, [
    { query: "select 1", calls: 3 },
    { query: "commit / rollback (as many as begin)", calls: 2 },
  ]);
  assert.deepEqual(withTransactionEnds([{ query: "select 1", calls: 3 }]), [
    { query: "select 1", calls: 3 },
  ]);
});
