//! The host directory ([`Directory`]) on the embedded engine's `host.sqlite`.

use rusqlite::{OptionalExtension, Row, params};

use crate::StoreError;
use crate::directory::{
    Account, Client, Directory, DirectoryDump, FamilyKeyRecord, Grant, InviteRecord, ListedApp,
    OperatorAction, OperatorRecord, PasswordResetRecord, PodOwnerRecord, ProofRecord, RevokeScope,
    Session, SpentRefreshRecord, StoredKey, TokenFamily, not_empty,
};
use crate::sqlite::{SqliteBackend, now_ms};

fn listed_from_json(json: &str) -> Result<ListedApp, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Io(format!("a listed app: {e}")))
}

fn hash32(v: Option<Vec<u8>>) -> Option<[u8; 32]> {
    v.and_then(|b| b.try_into().ok())
}

/// Columns added to host databases made before them: the `second_factor`
/// of sessions (theirs read as begun without one), and in format 2 the
/// `suspended` of accounts and the `quota` of pods (none: the default).
pub(crate) fn upgrade_host(host: &rusqlite::Connection) -> Result<(), StoreError> {
    for (table, column, ty) in [
        ("session", "second_factor", "INTEGER NOT NULL DEFAULT 0"),
        ("account", "suspended", "INTEGER"),
        ("pod", "quota", "INTEGER"),
        ("account", "notices", "INTEGER NOT NULL DEFAULT 0"),
    ] {
        let has: bool = host
            .prepare(&format!(
                "SELECT 1 FROM pragma_table_info('{table}') WHERE name = '{column}'"
            ))?
            .exists([])?;
        if !has {
            host.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {ty};"))?;
        }
    }
    Ok(())
}

fn action_row(r: &Row<'_>) -> rusqlite::Result<OperatorAction> {
    Ok(OperatorAction {
        seq: r.get(0)?,
        at_ms: r.get(1)?,
        operator: r.get(2)?,
        action: r.get(3)?,
        account_id: r.get(4)?,
        pod: r.get(5)?,
        detail: r.get(6)?,
    })
}

const ACTION_COLS: &str = "seq, at, operator, action, account_id, pod, detail";

fn account_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        email: r.get(1)?,
        password_hash: r.get(2)?,
        totp_secret: r.get(3)?,
        created_ms: r.get(4)?,
        failed_logins: r.get(5)?,
        locked_until_ms: r.get(6)?,
        suspended_ms: r.get(7)?,
        notices: r.get(8)?,
    })
}

const ACCOUNT_COLS: &str = "id, email, password_hash, totp_secret, created, failed_logins, locked_until, suspended, notices";

fn grant_row(r: &Row<'_>) -> rusqlite::Result<Grant> {
    Ok(Grant {
        id: r.get(0)?,
        account_id: r.get(1)?,
        webid: r.get(2)?,
        client_id: r.get(3)?,
        client_name: r.get(4)?,
        scope: r.get(5)?,
        created_ms: r.get(6)?,
        revoked_ms: r.get(7)?,
    })
}

const GRANT_COLS: &str = "id, account_id, webid, client_id, client_name, scope, created, revoked";

fn family_row(r: &Row<'_>) -> rusqlite::Result<TokenFamily> {
    Ok(TokenFamily {
        id: r.get(0)?,
        webid: r.get(1)?,
        client_id: r.get(2)?,
        grant_id: r.get(3)?,
        session_hash: hash32(r.get(4)?),
        refresh_hash: hash32(r.get(5)?),
        refresh_expires_ms: r.get(6)?,
        created_ms: r.get(7)?,
        revoked_ms: r.get(8)?,
    })
}

const FAMILY_COLS: &str =
    "id, webid, client_id, grant_id, session_hash, refresh_hash, refresh_expires, created, revoked";

fn client_from_json(json: String) -> Result<Client, StoreError> {
    serde_json::from_str(&json)
        .map_err(|e| StoreError::Io(format!("a stored client is unreadable: {e}")))
}

#[async_trait::async_trait]
impl Directory for SqliteBackend {
    async fn create_account(
        &self,
        email: &str,
        password_hash: &str,
    ) -> Result<Account, StoreError> {
        let host = self.host();
        let exists = host
            .prepare_cached("SELECT 1 FROM account WHERE email = ?1")?
            .exists([email])?;
        if exists {
            return Err(StoreError::AccountExists(email.to_owned()));
        }
        host.execute(
            "INSERT INTO account (email, password_hash, created) VALUES (?1, ?2, ?3)",
            params![email, password_hash, now_ms()],
        )?;
        let id = host.last_insert_rowid();
        Ok(host.query_row(
            &format!("SELECT {ACCOUNT_COLS} FROM account WHERE id = ?1"),
            [id],
            account_row,
        )?)
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        Ok(self
            .host()
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLS} FROM account WHERE email = ?1"
            ))?
            .query_row([email], account_row)
            .optional()?)
    }

    async fn account(&self, id: i64) -> Result<Option<Account>, StoreError> {
        Ok(self
            .host()
            .prepare_cached(&format!("SELECT {ACCOUNT_COLS} FROM account WHERE id = ?1"))?
            .query_row([id], account_row)
            .optional()?)
    }

    async fn set_password(&self, id: i64, password_hash: &str) -> Result<(), StoreError> {
        self.host().execute(
            "UPDATE account SET password_hash = ?2 WHERE id = ?1",
            params![id, password_hash],
        )?;
        Ok(())
    }

    async fn set_totp(&self, id: i64, secret: Option<&str>) -> Result<(), StoreError> {
        self.host().execute(
            "UPDATE account SET totp_secret = ?2 WHERE id = ?1",
            params![id, secret],
        )?;
        Ok(())
    }

    async fn login_failed(&self, id: i64, locked_until_ms: i64) -> Result<i64, StoreError> {
        let host = self.host();
        host.execute(
            "UPDATE account SET failed_logins = failed_logins + 1,
             locked_until = MAX(locked_until, ?2) WHERE id = ?1",
            params![id, locked_until_ms],
        )?;
        Ok(host.query_row(
            "SELECT failed_logins FROM account WHERE id = ?1",
            [id],
            |r| r.get(0),
        )?)
    }

    async fn login_succeeded(&self, id: i64) -> Result<(), StoreError> {
        self.host().execute(
            "UPDATE account SET failed_logins = 0, locked_until = 0 WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    async fn set_operator(&self, account_id: i64, operator: bool) -> Result<(), StoreError> {
        let host = self.host();
        if operator {
            host.execute(
                "INSERT INTO operator (account_id, since) VALUES (?1, ?2)
                 ON CONFLICT(account_id) DO NOTHING",
                params![account_id, now_ms()],
            )?;
        } else {
            host.execute("DELETE FROM operator WHERE account_id = ?1", [account_id])?;
        }
        Ok(())
    }

    async fn is_operator(&self, account_id: i64) -> Result<bool, StoreError> {
        Ok(self
            .host()
            .prepare_cached("SELECT 1 FROM operator WHERE account_id = ?1")?
            .query_row([account_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    async fn operators(&self) -> Result<Vec<Account>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached(&format!(
            "SELECT {} FROM account WHERE id IN (SELECT account_id FROM operator) ORDER BY email",
            ACCOUNT_COLS
        ))?;
        let rows = stmt.query_map([], account_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn find_accounts(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<(Vec<Account>, u64), StoreError> {
        // `instr`, not LIKE: the query is matched as typed, `%` and `_` included.
        let host = self.host();
        let query = query.trim().to_lowercase();
        let found = host
            .prepare_cached(&format!(
                "SELECT {ACCOUNT_COLS} FROM account WHERE instr(lower(email), ?1) > 0
                 ORDER BY email LIMIT ?2"
            ))?
            .query_map(params![query, limit as i64], account_row)?
            .collect::<Result<_, _>>()?;
        let total: i64 = host
            .prepare_cached("SELECT count(*) FROM account WHERE instr(lower(email), ?1) > 0")?
            .query_row([&query], |r| r.get(0))?;
        Ok((found, total.max(0) as u64))
    }

    async fn set_notices(&self, account_id: i64, notices: i64) -> Result<(), StoreError> {
        self.host().execute(
            "UPDATE account SET notices = ?2 WHERE id = ?1",
            params![account_id, notices],
        )?;
        Ok(())
    }

    async fn set_suspended(
        &self,
        account_id: i64,
        since_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        self.host().execute(
            "UPDATE account SET suspended = ?2 WHERE id = ?1",
            params![account_id, since_ms],
        )?;
        Ok(())
    }

    async fn record_operator_action(&self, a: &OperatorAction) -> Result<i64, StoreError> {
        tracing::info!(
            operator = %a.operator,
            action = %a.action,
            account = ?a.account_id,
            pod = ?a.pod,
            detail = %a.detail,
            "operator action"
        );
        let host = self.host();
        host.execute(
            "INSERT INTO operator_action (at, operator, action, account_id, pod, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                now_ms(),
                a.operator,
                a.action,
                a.account_id,
                a.pod,
                a.detail
            ],
        )?;
        Ok(host.last_insert_rowid())
    }

    async fn operator_actions(
        &self,
        concerning: Option<i64>,
        limit: usize,
    ) -> Result<Vec<OperatorAction>, StoreError> {
        let host = self.host();
        let limit = limit as i64;
        let rows = match concerning {
            Some(id) => host
                .prepare_cached(&format!(
                    "SELECT {ACTION_COLS} FROM operator_action WHERE account_id = ?1
                     ORDER BY seq DESC LIMIT ?2"
                ))?
                .query_map(params![id, limit], action_row)?
                .collect::<Result<_, _>>()?,
            None => host
                .prepare_cached(&format!(
                    "SELECT {ACTION_COLS} FROM operator_action ORDER BY seq DESC LIMIT ?1"
                ))?
                .query_map([limit], action_row)?
                .collect::<Result<_, _>>()?,
        };
        Ok(rows)
    }

    async fn set_pod_owner(&self, pod: &str, account_id: i64) -> Result<(), StoreError> {
        self.host().execute(
            "INSERT INTO pod_owner (pod, account_id) VALUES (?1, ?2)
             ON CONFLICT(pod) DO UPDATE SET account_id = excluded.account_id",
            params![pod, account_id],
        )?;
        Ok(())
    }

    async fn pods_of(&self, account_id: i64) -> Result<Vec<String>, StoreError> {
        let host = self.host();
        let mut stmt =
            host.prepare_cached("SELECT pod FROM pod_owner WHERE account_id = ?1 ORDER BY pod")?;
        let rows = stmt
            .query_map([account_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn pod_owner(&self, pod: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .host()
            .prepare_cached("SELECT account_id FROM pod_owner WHERE pod = ?1")?
            .query_row([pod], |r| r.get(0))
            .optional()?)
    }

    async fn create_invite(&self, code_hash: [u8; 32]) -> Result<(), StoreError> {
        self.host().execute(
            "INSERT INTO invite (code_hash, created) VALUES (?1, ?2)",
            params![&code_hash[..], now_ms()],
        )?;
        Ok(())
    }

    async fn use_invite(&self, code_hash: [u8; 32]) -> Result<bool, StoreError> {
        let n = self.host().execute(
            "UPDATE invite SET used = ?2 WHERE code_hash = ?1 AND used IS NULL",
            params![&code_hash[..], now_ms()],
        )?;
        Ok(n == 1)
    }

    async fn invites(&self) -> Result<(u64, u64), StoreError> {
        let (all, unused): (i64, i64) = self.host().query_row(
            "SELECT count(*), count(*) - count(used) FROM invite",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((all.max(0) as u64, unused.max(0) as u64))
    }

    async fn put_session(&self, s: &Session) -> Result<(), StoreError> {
        self.host().execute(
            "INSERT INTO session (id_hash, account_id, csrf, complete, created, expires, second_factor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(id_hash) DO UPDATE SET complete = excluded.complete, expires = excluded.expires,
               second_factor = excluded.second_factor",
            params![&s.id_hash[..], s.account_id, s.csrf, s.complete, s.created_ms, s.expires_ms, s.second_factor],
        )?;
        Ok(())
    }

    async fn session(&self, id_hash: [u8; 32]) -> Result<Option<Session>, StoreError> {
        Ok(self
            .host()
            .prepare_cached(
                "SELECT account_id, csrf, complete, created, expires, second_factor FROM session WHERE id_hash = ?1",
            )?
            .query_row([&id_hash[..]], |r| {
                Ok(Session {
                    id_hash,
                    account_id: r.get(0)?,
                    csrf: r.get(1)?,
                    complete: r.get(2)?,
                    created_ms: r.get(3)?,
                    expires_ms: r.get(4)?,
                    second_factor: r.get(5)?,
                })
            })
            .optional()?)
    }

    async fn delete_session(&self, id_hash: [u8; 32]) -> Result<(), StoreError> {
        self.host()
            .execute("DELETE FROM session WHERE id_hash = ?1", [&id_hash[..]])?;
        Ok(())
    }

    async fn put_client(&self, client: &Client) -> Result<(), StoreError> {
        let json = serde_json::to_string(client).map_err(|e| StoreError::Io(e.to_string()))?;
        self.host().execute(
            "INSERT INTO client (client_id, account_id, json) VALUES (?1, ?2, ?3)
             ON CONFLICT(client_id) DO UPDATE SET account_id = excluded.account_id, json = excluded.json",
            params![client.client_id, client.account_id, json],
        )?;
        Ok(())
    }

    async fn client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        let json: Option<String> = self
            .host()
            .prepare_cached("SELECT json FROM client WHERE client_id = ?1")?
            .query_row([client_id], |r| r.get(0))
            .optional()?;
        json.map(client_from_json).transpose()
    }

    async fn put_listed_app(&self, app: &ListedApp) -> Result<(), StoreError> {
        let json = serde_json::to_string(app).map_err(|e| StoreError::Io(e.to_string()))?;
        self.host().execute(
            "INSERT INTO listed_app (client_id, name, json) VALUES (?1, ?2, ?3)
             ON CONFLICT(client_id) DO UPDATE SET name = excluded.name, json = excluded.json",
            params![app.client_id, app.name, json],
        )?;
        Ok(())
    }

    async fn listed_apps(&self) -> Result<Vec<ListedApp>, StoreError> {
        let host = self.host();
        let mut stmt =
            host.prepare_cached("SELECT json FROM listed_app ORDER BY name COLLATE NOCASE")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        rows.iter().map(|j| listed_from_json(j)).collect()
    }

    async fn listed_app(&self, client_id: &str) -> Result<Option<ListedApp>, StoreError> {
        let json: Option<String> = self
            .host()
            .prepare_cached("SELECT json FROM listed_app WHERE client_id = ?1")?
            .query_row([client_id], |r| r.get(0))
            .optional()?;
        json.as_deref().map(listed_from_json).transpose()
    }

    async fn remove_listed_app(&self, client_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .host()
            .execute("DELETE FROM listed_app WHERE client_id = ?1", [client_id])?
            > 0)
    }

    async fn delete_client(&self, client_id: &str) -> Result<(), StoreError> {
        self.host()
            .execute("DELETE FROM client WHERE client_id = ?1", [client_id])?;
        Ok(())
    }

    async fn credentials_of(&self, account_id: i64) -> Result<Vec<Client>, StoreError> {
        let host = self.host();
        let mut stmt = host
            .prepare_cached("SELECT json FROM client WHERE account_id = ?1 ORDER BY client_id")?;
        let rows: Vec<String> = stmt
            .query_map([account_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        rows.into_iter().map(client_from_json).collect()
    }

    async fn put_grant(&self, g: &Grant) -> Result<(), StoreError> {
        self.host().execute(
            &format!(
                "INSERT INTO grant_ ({GRANT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(id) DO UPDATE SET scope = excluded.scope, revoked = excluded.revoked"
            ),
            params![
                g.id,
                g.account_id,
                g.webid,
                g.client_id,
                g.client_name,
                g.scope,
                g.created_ms,
                g.revoked_ms
            ],
        )?;
        Ok(())
    }

    async fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        Ok(self
            .host()
            .prepare_cached(&format!("SELECT {GRANT_COLS} FROM grant_ WHERE id = ?1"))?
            .query_row([id], grant_row)
            .optional()?)
    }

    async fn grants_of(&self, account_id: i64) -> Result<Vec<Grant>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached(&format!(
            "SELECT {GRANT_COLS} FROM grant_ WHERE account_id = ?1 ORDER BY created DESC"
        ))?;
        let rows = stmt
            .query_map([account_id], grant_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn put_family(&self, f: &TokenFamily) -> Result<(), StoreError> {
        self.host().execute(
            &format!("INSERT INTO token_family ({FAMILY_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
            params![
                f.id,
                f.webid,
                f.client_id,
                f.grant_id,
                f.session_hash.as_ref().map(|h| h.to_vec()),
                f.refresh_hash.as_ref().map(|h| h.to_vec()),
                f.refresh_expires_ms,
                f.created_ms,
                f.revoked_ms
            ],
        )?;
        Ok(())
    }

    async fn family(&self, id: &str) -> Result<Option<TokenFamily>, StoreError> {
        Ok(self
            .host()
            .prepare_cached(&format!(
                "SELECT {FAMILY_COLS} FROM token_family WHERE id = ?1"
            ))?
            .query_row([id], family_row)
            .optional()?)
    }

    async fn rotate_refresh(
        &self,
        id: &str,
        old: [u8; 32],
        new: [u8; 32],
        expires_ms: i64,
    ) -> Result<bool, StoreError> {
        let n = self.host().execute(
            "UPDATE token_family SET refresh_hash = ?3, refresh_expires = ?4
             WHERE id = ?1 AND refresh_hash = ?2 AND revoked IS NULL",
            params![id, &old[..], &new[..], expires_ms],
        )?;
        Ok(n == 1)
    }

    async fn revoke(&self, scope: RevokeScope<'_>, now: i64) -> Result<Vec<String>, StoreError> {
        let mut host = self.host();
        let tx = host.transaction()?;
        let (filter, key): (&str, Box<dyn rusqlite::ToSql>) = match scope {
            RevokeScope::Family(id) => ("id = ?1", Box::new(id.to_owned())),
            RevokeScope::Grant(id) => {
                tx.execute(
                    "UPDATE grant_ SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL",
                    params![id, now],
                )?;
                ("grant_id = ?1", Box::new(id.to_owned()))
            }
            RevokeScope::Session(h) => ("session_hash = ?1", Box::new(h.to_vec())),
            RevokeScope::Client(id) => ("client_id = ?1", Box::new(id.to_owned())),
            RevokeScope::WebId(webid) => {
                tx.execute(
                    "UPDATE grant_ SET revoked = ?2 WHERE webid = ?1 AND revoked IS NULL",
                    params![webid, now],
                )?;
                tx.execute(
                    "DELETE FROM client WHERE json_extract(json, '$.webid') = ?1",
                    [webid],
                )?;
                ("webid = ?1", Box::new(webid.to_owned()))
            }
            RevokeScope::FamiliesOf(webid) => ("webid = ?1", Box::new(webid.to_owned())),
        };
        let ids: Vec<String> = tx
            .prepare(&format!(
                "SELECT id FROM token_family WHERE {filter} AND revoked IS NULL"
            ))?
            .query_map([&key], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        tx.execute(
            &format!("UPDATE token_family SET revoked = ?2 WHERE {filter} AND revoked IS NULL"),
            params![&key, now],
        )?;
        tx.commit()?;
        Ok(ids)
    }

    async fn revoked_since(&self, since_ms: i64) -> Result<Vec<String>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached("SELECT id FROM token_family WHERE revoked >= ?1")?;
        let rows = stmt
            .query_map([since_ms], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached(
            "SELECT kid, private_jwk, created, retired FROM signing_key ORDER BY created DESC",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StoredKey {
                    kid: r.get(0)?,
                    private_jwk: r.get(1)?,
                    created_ms: r.get(2)?,
                    retired_ms: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn put_signing_key(&self, key: &StoredKey) -> Result<(), StoreError> {
        self.host().execute(
            "INSERT INTO signing_key (kid, private_jwk, created, retired) VALUES (?1, ?2, ?3, ?4)",
            params![key.kid, key.private_jwk, key.created_ms, key.retired_ms],
        )?;
        Ok(())
    }

    async fn retire_signing_keys_except(&self, kid: &str, now: i64) -> Result<(), StoreError> {
        self.host().execute(
            "UPDATE signing_key SET retired = ?2 WHERE kid != ?1 AND retired IS NULL",
            params![kid, now],
        )?;
        Ok(())
    }

    async fn set_family_key(&self, id: &str, jkt: &str) -> Result<(), StoreError> {
        self.host().execute(
            "INSERT OR REPLACE INTO family_key (family_id, jkt) VALUES (?1, ?2)",
            params![id, jkt],
        )?;
        Ok(())
    }

    async fn family_key(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .host()
            .prepare_cached("SELECT jkt FROM family_key WHERE family_id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    async fn rotate_refresh_remembering(
        &self,
        id: &str,
        old: [u8; 32],
        new: [u8; 32],
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let mut host = self.host();
        let tx = host.transaction()?;
        let n = tx.execute(
            "UPDATE token_family SET refresh_hash = ?3, refresh_expires = ?4
             WHERE id = ?1 AND refresh_hash = ?2 AND revoked IS NULL",
            params![id, &old[..], &new[..], expires_ms],
        )?;
        if n == 1 {
            tx.execute(
                "INSERT OR REPLACE INTO refresh_spent (hash, family_id, expires) VALUES (?1, ?2, ?3)",
                params![&old[..], id, expires_ms],
            )?;
        }
        tx.execute("DELETE FROM refresh_spent WHERE expires < ?1", [now_ms])?;
        tx.commit()?;
        Ok(n == 1)
    }

    async fn refresh_spent(&self, id: &str, hash: [u8; 32]) -> Result<bool, StoreError> {
        Ok(self
            .host()
            .prepare_cached("SELECT 1 FROM refresh_spent WHERE hash = ?1 AND family_id = ?2")?
            .query_row(params![&hash[..], id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    async fn remember_proof(&self, key: &str, expires_s: i64) -> Result<(), StoreError> {
        self.host().execute(
            "INSERT OR REPLACE INTO dpop_proof (key, expires) VALUES (?1, ?2)",
            params![key, expires_s],
        )?;
        Ok(())
    }

    async fn spend_proof(&self, key: &str, now_s: i64, expires_s: i64) -> Result<bool, StoreError> {
        let spent = self.host().execute(
            "INSERT INTO dpop_proof (key, expires) VALUES (?1, ?3)
             ON CONFLICT(key) DO UPDATE SET expires = excluded.expires WHERE dpop_proof.expires <= ?2",
            params![key, now_s, expires_s],
        )?;
        Ok(spent == 1)
    }

    async fn count_attempt(
        &self,
        group: &str,
        key: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let start = now_ms - now_ms.rem_euclid(window_ms.max(1));
        let host = self.host();
        host.execute(
            "DELETE FROM attempt WHERE window_start < ?1",
            [now_ms - 86_400_000 - window_ms],
        )?;
        let count: i64 = host.query_row(
            "INSERT INTO attempt (grp, key, window_start, count) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT(grp, key, window_start) DO UPDATE SET count = count + 1
             RETURNING count",
            params![group, key, start],
            |r| r.get(0),
        )?;
        Ok(count.max(0) as u64)
    }

    async fn attempts(
        &self,
        group: &str,
        key: &str,
        window_ms: i64,
        at_ms: i64,
    ) -> Result<u64, StoreError> {
        let start = at_ms - at_ms.rem_euclid(window_ms.max(1));
        let count: Option<i64> = self
            .host()
            .query_row(
                "SELECT count FROM attempt WHERE grp = ?1 AND key = ?2 AND window_start = ?3",
                params![group, key, start],
                |r| r.get(0),
            )
            .optional()?;
        Ok(count.unwrap_or(0).max(0) as u64)
    }

    async fn forget_attempts(&self, group: &str, key: Option<&str>) -> Result<(), StoreError> {
        match key {
            Some(key) => self.host().execute(
                "DELETE FROM attempt WHERE grp = ?1 AND key = ?2",
                params![group, key],
            )?,
            None => self
                .host()
                .execute("DELETE FROM attempt WHERE grp = ?1", [group])?,
        };
        Ok(())
    }

    async fn remembered_proofs(&self, now_s: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let host = self.host();
        host.execute("DELETE FROM dpop_proof WHERE expires <= ?1", [now_s])?;
        let mut stmt = host.prepare_cached("SELECT key, expires FROM dpop_proof")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn delete_sessions_of(
        &self,
        account_id: i64,
        keep: Option<[u8; 32]>,
    ) -> Result<Vec<[u8; 32]>, StoreError> {
        let mut host = self.host();
        let tx = host.transaction()?;
        let keep = keep.map(|k| k.to_vec()).unwrap_or_default();
        let ended: Vec<Vec<u8>> = tx
            .prepare("SELECT id_hash FROM session WHERE account_id = ?1 AND id_hash != ?2")?
            .query_map(params![account_id, keep], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        tx.execute(
            "DELETE FROM session WHERE account_id = ?1 AND id_hash != ?2",
            params![account_id, keep],
        )?;
        tx.commit()?;
        Ok(ended.into_iter().filter_map(|h| hash32(Some(h))).collect())
    }

    async fn create_password_reset(
        &self,
        secret_hash: [u8; 32],
        account_id: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError> {
        let host = self.host();
        host.execute("DELETE FROM password_reset WHERE expires < ?1", [now_ms()])?;
        host.execute(
            "INSERT INTO password_reset (secret_hash, account_id, expires) VALUES (?1, ?2, ?3)",
            params![&secret_hash[..], account_id, expires_ms],
        )?;
        Ok(())
    }

    async fn use_password_reset(
        &self,
        secret_hash: [u8; 32],
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let mut host = self.host();
        let tx = host.transaction()?;
        let account: Option<i64> = tx
            .query_row(
                "UPDATE password_reset SET used = ?2
                 WHERE secret_hash = ?1 AND used IS NULL AND expires > ?2
                 RETURNING account_id",
                params![&secret_hash[..], now],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = account {
            tx.execute(
                "UPDATE password_reset SET used = ?2 WHERE account_id = ?1 AND used IS NULL",
                params![id, now],
            )?;
        }
        tx.commit()?;
        Ok(account)
    }

    async fn dump(&self) -> Result<DirectoryDump, StoreError> {
        let mut host = self.host();
        // One read transaction: a consistent picture of every table.
        let tx = host.transaction()?;
        fn all<T>(
            tx: &rusqlite::Transaction<'_>,
            sql: &str,
            f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
        ) -> Result<Vec<T>, StoreError> {
            Ok(tx
                .prepare(sql)?
                .query_map([], f)?
                .collect::<Result<_, _>>()?)
        }
        let clients: Vec<String> = all(&tx, "SELECT json FROM client", |r| r.get(0))?;
        let listed: Vec<String> = all(&tx, "SELECT json FROM listed_app", |r| r.get(0))?;
        let mut dump = DirectoryDump {
            accounts: all(
                &tx,
                &format!("SELECT {ACCOUNT_COLS} FROM account"),
                account_row,
            )?,
            operators: all(&tx, "SELECT account_id, since FROM operator", |r| {
                Ok(OperatorRecord {
                    account_id: r.get(0)?,
                    since_ms: r.get(1)?,
                })
            })?,
            operator_actions: all(
                &tx,
                &format!("SELECT {ACTION_COLS} FROM operator_action"),
                action_row,
            )?,
            pod_owners: all(&tx, "SELECT pod, account_id FROM pod_owner", |r| {
                Ok(PodOwnerRecord {
                    pod: r.get(0)?,
                    account_id: r.get(1)?,
                })
            })?,
            invites: all(&tx, "SELECT code_hash, created, used FROM invite", |r| {
                Ok(InviteRecord {
                    code_hash: r.get(0)?,
                    created_ms: r.get(1)?,
                    used_ms: r.get(2)?,
                })
            })?,
            sessions: all(
                &tx,
                "SELECT id_hash, account_id, csrf, complete, created, expires, second_factor
                 FROM session",
                |r| {
                    Ok(Session {
                        id_hash: r.get(0)?,
                        account_id: r.get(1)?,
                        csrf: r.get(2)?,
                        complete: r.get(3)?,
                        created_ms: r.get(4)?,
                        expires_ms: r.get(5)?,
                        second_factor: r.get(6)?,
                    })
                },
            )?,
            clients: clients
                .into_iter()
                .map(client_from_json)
                .collect::<Result<_, _>>()?,
            grants: all(&tx, &format!("SELECT {GRANT_COLS} FROM grant_"), grant_row)?,
            listed_apps: listed
                .iter()
                .map(|j| listed_from_json(j))
                .collect::<Result<_, _>>()?,
            token_families: all(
                &tx,
                &format!("SELECT {FAMILY_COLS} FROM token_family"),
                family_row,
            )?,
            signing_keys: all(
                &tx,
                "SELECT kid, private_jwk, created, retired FROM signing_key",
                |r| {
                    Ok(StoredKey {
                        kid: r.get(0)?,
                        private_jwk: r.get(1)?,
                        created_ms: r.get(2)?,
                        retired_ms: r.get(3)?,
                    })
                },
            )?,
            family_keys: all(&tx, "SELECT family_id, jkt FROM family_key", |r| {
                Ok(FamilyKeyRecord {
                    family_id: r.get(0)?,
                    jkt: r.get(1)?,
                })
            })?,
            spent_refreshes: all(
                &tx,
                "SELECT hash, family_id, expires FROM refresh_spent",
                |r| {
                    Ok(SpentRefreshRecord {
                        hash: r.get(0)?,
                        family_id: r.get(1)?,
                        expires_ms: r.get(2)?,
                    })
                },
            )?,
            dpop_proofs: all(&tx, "SELECT key, expires FROM dpop_proof", |r| {
                Ok(ProofRecord {
                    key: r.get(0)?,
                    expires_s: r.get(1)?,
                })
            })?,
            password_resets: all(
                &tx,
                "SELECT secret_hash, account_id, expires, used FROM password_reset",
                |r| {
                    Ok(PasswordResetRecord {
                        secret_hash: r.get(0)?,
                        account_id: r.get(1)?,
                        expires_ms: r.get(2)?,
                        used_ms: r.get(3)?,
                    })
                },
            )?,
        };
        tx.commit()?;
        dump.sort();
        Ok(dump)
    }

    async fn load(&self, d: &DirectoryDump) -> Result<(), StoreError> {
        let mut clients = Vec::with_capacity(d.clients.len());
        for c in &d.clients {
            clients.push(serde_json::to_string(c).map_err(|e| StoreError::Io(e.to_string()))?);
        }
        let mut listed = Vec::with_capacity(d.listed_apps.len());
        for a in &d.listed_apps {
            listed.push(serde_json::to_string(a).map_err(|e| StoreError::Io(e.to_string()))?);
        }
        let mut host = self.host();
        // IMMEDIATE: the check and the writes under one write lock; any
        // failure rolls every row back (the transaction is dropped).
        let tx = host.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        if tx.prepare("SELECT 1 FROM account LIMIT 1")?.exists([])? {
            return Err(not_empty());
        }
        // Accounts first: operators and pod owners refer to them.
        for a in &d.accounts {
            tx.execute(
                &format!(
                    "INSERT INTO account ({ACCOUNT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ),
                params![
                    a.id,
                    a.email,
                    a.password_hash,
                    a.totp_secret,
                    a.created_ms,
                    a.failed_logins,
                    a.locked_until_ms,
                    a.suspended_ms,
                    a.notices
                ],
            )?;
        }
        for o in &d.operators {
            tx.execute(
                "INSERT INTO operator (account_id, since) VALUES (?1, ?2)",
                params![o.account_id, o.since_ms],
            )?;
        }
        // With their places: AUTOINCREMENT continues after the greatest.
        for a in &d.operator_actions {
            tx.execute(
                &format!(
                    "INSERT INTO operator_action ({ACTION_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                ),
                params![
                    a.seq,
                    a.at_ms,
                    a.operator,
                    a.action,
                    a.account_id,
                    a.pod,
                    a.detail
                ],
            )?;
        }
        for p in &d.pod_owners {
            tx.execute(
                "INSERT INTO pod_owner (pod, account_id) VALUES (?1, ?2)",
                params![p.pod, p.account_id],
            )?;
        }
        for i in &d.invites {
            tx.execute(
                "INSERT INTO invite (code_hash, created, used) VALUES (?1, ?2, ?3)",
                params![i.code_hash, i.created_ms, i.used_ms],
            )?;
        }
        for s in &d.sessions {
            tx.execute(
                "INSERT INTO session (id_hash, account_id, csrf, complete, created, expires, second_factor)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    s.id_hash,
                    s.account_id,
                    s.csrf,
                    s.complete,
                    s.created_ms,
                    s.expires_ms,
                    s.second_factor
                ],
            )?;
        }
        for (c, json) in d.clients.iter().zip(&clients) {
            tx.execute(
                "INSERT INTO client (client_id, account_id, json) VALUES (?1, ?2, ?3)",
                params![c.client_id, c.account_id, json],
            )?;
        }
        for g in &d.grants {
            tx.execute(
                &format!(
                    "INSERT INTO grant_ ({GRANT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                params![
                    g.id,
                    g.account_id,
                    g.webid,
                    g.client_id,
                    g.client_name,
                    g.scope,
                    g.created_ms,
                    g.revoked_ms
                ],
            )?;
        }
        for (a, json) in d.listed_apps.iter().zip(&listed) {
            tx.execute(
                "INSERT INTO listed_app (client_id, name, json) VALUES (?1, ?2, ?3)",
                params![a.client_id, a.name, json],
            )?;
        }
        for f in &d.token_families {
            tx.execute(
                &format!(
                    "INSERT INTO token_family ({FAMILY_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                ),
                params![
                    f.id,
                    f.webid,
                    f.client_id,
                    f.grant_id,
                    f.session_hash,
                    f.refresh_hash,
                    f.refresh_expires_ms,
                    f.created_ms,
                    f.revoked_ms
                ],
            )?;
        }
        for k in &d.signing_keys {
            tx.execute(
                "INSERT INTO signing_key (kid, private_jwk, created, retired) VALUES (?1, ?2, ?3, ?4)",
                params![k.kid, k.private_jwk, k.created_ms, k.retired_ms],
            )?;
        }
        for k in &d.family_keys {
            tx.execute(
                "INSERT INTO family_key (family_id, jkt) VALUES (?1, ?2)",
                params![k.family_id, k.jkt],
            )?;
        }
        for r in &d.spent_refreshes {
            tx.execute(
                "INSERT INTO refresh_spent (hash, family_id, expires) VALUES (?1, ?2, ?3)",
                params![r.hash, r.family_id, r.expires_ms],
            )?;
        }
        for p in &d.dpop_proofs {
            tx.execute(
                "INSERT INTO dpop_proof (key, expires) VALUES (?1, ?2)",
                params![p.key, p.expires_s],
            )?;
        }
        for r in &d.password_resets {
            tx.execute(
                "INSERT INTO password_reset (secret_hash, account_id, expires, used)
                 VALUES (?1, ?2, ?3, ?4)",
                params![r.secret_hash, r.account_id, r.expires_ms, r.used_ms],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
