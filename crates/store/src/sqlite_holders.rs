//! The holder registry ([`HolderRegistry`]) on the embedded engine's `host.sqlite`.

use rusqlite::{OptionalExtension, params};

use crate::StoreError;
use crate::holders::{
    Activity, Delivery, DeliveryRecord, Holder, HolderLimits, HolderRegistry, HoldersDump, Link,
    PushRecord, PushState, Transfer,
};
use crate::sqlite::SqliteBackend;

fn holder_from_json(json: String) -> Result<Holder, StoreError> {
    serde_json::from_str(&json)
        .map_err(|e| StoreError::Io(format!("a stored holder is unreadable: {e}")))
}

fn link_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Link> {
    let customer: Vec<u8> = r.get(1)?;
    Ok(Link {
        holder_id: r.get(0)?,
        customer: customer.try_into().unwrap_or([0; 32]),
        pod: r.get(2)?,
        consent_id: r.get(3)?,
        created_ms: r.get(4)?,
    })
}

const LINK_COLUMNS: &str = "holder_id, customer, pod, consent_id, created";

const TRANSFER_COLUMNS: &str = "id, pod, holder_id, consent_id, purpose, resources, created, expires, revoked, reads, last_read";

fn transfer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Transfer> {
    let resources: String = r.get(5)?;
    Ok(Transfer {
        id: r.get(0)?,
        pod: r.get(1)?,
        holder_id: r.get(2)?,
        consent_id: r.get(3)?,
        purpose: r.get(4)?,
        // Written by `add_transfer` as a JSON list; an unreadable one names nothing.
        resources: serde_json::from_str(&resources).unwrap_or_default(),
        created_ms: r.get(6)?,
        expires_ms: r.get(7)?,
        revoked_ms: r.get(8)?,
        reads: u64::try_from(r.get::<_, i64>(9)?).unwrap_or(0),
        last_read_ms: r.get(10)?,
    })
}

#[async_trait::async_trait]
impl HolderRegistry for SqliteBackend {
    async fn put_holder(&self, holder: &Holder) -> Result<(), StoreError> {
        let json = serde_json::to_string(holder).map_err(|e| StoreError::Io(e.to_string()))?;
        self.host().execute(
            "INSERT INTO holder (id, json) VALUES (?1, ?2)
             ON CONFLICT(id) DO UPDATE SET json = excluded.json",
            params![holder.id, json],
        )?;
        Ok(())
    }

    async fn insert_holder(&self, holder: &Holder) -> Result<bool, StoreError> {
        let json = serde_json::to_string(holder).map_err(|e| StoreError::Io(e.to_string()))?;
        let n = self.host().execute(
            "INSERT INTO holder (id, json) VALUES (?1, ?2) ON CONFLICT(id) DO NOTHING",
            params![holder.id, json],
        )?;
        Ok(n == 1)
    }

    async fn update_holder(
        &self,
        id: &str,
        change: &(dyn for<'h> Fn(&'h mut Holder) + Send + Sync),
    ) -> Result<bool, StoreError> {
        let mut host = self.host();
        let tx = host.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let json: Option<String> = tx
            .query_row("SELECT json FROM holder WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        let Some(json) = json else {
            return Ok(false);
        };
        let mut holder = holder_from_json(json)?;
        change(&mut holder);
        holder.id = id.to_owned();
        let json = serde_json::to_string(&holder).map_err(|e| StoreError::Io(e.to_string()))?;
        tx.execute(
            "UPDATE holder SET json = ?2 WHERE id = ?1",
            params![id, json],
        )?;
        tx.commit()?;
        Ok(true)
    }

    async fn holder(&self, id: &str) -> Result<Option<Holder>, StoreError> {
        let json: Option<String> = self
            .host()
            .prepare_cached("SELECT json FROM holder WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        json.map(holder_from_json).transpose()
    }

    async fn holders(&self) -> Result<Vec<Holder>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached("SELECT json FROM holder ORDER BY id")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        rows.into_iter().map(holder_from_json).collect()
    }

    async fn delete_holder(
        &self,
        id: &str,
    ) -> Result<Option<(Vec<Link>, Vec<Transfer>)>, StoreError> {
        let mut host = self.host();
        let tx = host.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let links: Vec<Link> = tx
            .prepare(&format!(
                "SELECT {LINK_COLUMNS} FROM holder_link WHERE holder_id = ?1"
            ))?
            .query_map([id], link_row)?
            .collect::<Result<_, _>>()?;
        let transfers: Vec<Transfer> = tx
            .prepare(&format!(
                "SELECT {TRANSFER_COLUMNS} FROM holder_transfer WHERE holder_id = ?1"
            ))?
            .query_map([id], transfer_row)?
            .collect::<Result<_, _>>()?;
        tx.execute("DELETE FROM holder_link WHERE holder_id = ?1", [id])?;
        tx.execute("DELETE FROM holder_transfer WHERE holder_id = ?1", [id])?;
        let n = tx.execute("DELETE FROM holder WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok((n > 0).then_some((links, transfers)))
    }

    async fn activity(&self, holder_id: &str) -> Result<Activity, StoreError> {
        let host = self.host();
        let count = |sql: &str| -> rusqlite::Result<i64> {
            host.prepare_cached(sql)?
                .query_row([holder_id], |r| r.get(0))
        };
        let residents = count("SELECT COUNT(DISTINCT pod) FROM holder_link WHERE holder_id = ?1")?;
        let pushes = count("SELECT COUNT(*) FROM holder_push WHERE holder_id = ?1")?;
        let last_push_ms: Option<i64> = host
            .prepare_cached("SELECT MAX(started) FROM holder_push WHERE holder_id = ?1")?
            .query_row([holder_id], |r| r.get(0))?;
        let deliveries = count("SELECT COUNT(*) FROM holder_delivery WHERE holder_id = ?1")?;
        let failed = count("SELECT COUNT(*) FROM holder_delivery WHERE holder_id = ?1 AND ok = 0")?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(Activity {
            residents: n(residents),
            pushes: n(pushes),
            last_push_ms,
            deliveries: n(deliveries),
            failed: n(failed),
        })
    }

    async fn claim_link(&self, l: &Link) -> Result<bool, StoreError> {
        let changed = self.host().execute(
            "INSERT INTO holder_link (holder_id, customer, pod, consent_id, created)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(holder_id, customer) DO UPDATE SET
               consent_id = excluded.consent_id, created = excluded.created
             WHERE holder_link.pod = excluded.pod",
            params![
                l.holder_id,
                &l.customer[..],
                l.pod,
                l.consent_id,
                l.created_ms
            ],
        )?;
        Ok(changed == 1)
    }

    async fn link_of(
        &self,
        holder_id: &str,
        customer: &[u8; 32],
    ) -> Result<Option<Link>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached(&format!(
            "SELECT {LINK_COLUMNS} FROM holder_link WHERE holder_id = ?1 AND customer = ?2"
        ))?;
        Ok(stmt
            .query_row(params![holder_id, &customer[..]], link_row)
            .optional()?)
    }

    async fn delete_links(&self, holder_id: &str, pod: &str) -> Result<usize, StoreError> {
        Ok(self.host().execute(
            "DELETE FROM holder_link WHERE holder_id = ?1 AND pod = ?2",
            params![holder_id, pod],
        )?)
    }

    async fn links_of_holder(&self, holder_id: &str) -> Result<Vec<Link>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached(&format!(
            "SELECT {LINK_COLUMNS} FROM holder_link WHERE holder_id = ?1"
        ))?;
        Ok(stmt
            .query_map([holder_id], link_row)?
            .collect::<Result<_, _>>()?)
    }

    async fn links_of_pod(&self, pod: &str) -> Result<Vec<Link>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached(&format!(
            "SELECT {LINK_COLUMNS} FROM holder_link WHERE pod = ?1 ORDER BY holder_id"
        ))?;
        Ok(stmt.query_map([pod], link_row)?.collect::<Result<_, _>>()?)
    }

    async fn begin_push(
        &self,
        holder_id: &str,
        key: &str,
        now_ms: i64,
        stale_before_ms: i64,
        limits: &HolderLimits,
    ) -> Result<PushState, StoreError> {
        let mut host = self.host();
        let tx = host.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let seen: Option<(i64, Option<String>)> = tx
            .query_row(
                "SELECT started, receipt FROM holder_push WHERE holder_id = ?1 AND key = ?2",
                params![holder_id, key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        const HOUR_MS: i64 = 3_600_000;
        let limited = || -> rusqlite::Result<Option<PushState>> {
            let running: i64 = tx.query_row(
                "SELECT COUNT(*) FROM holder_push
                 WHERE holder_id = ?1 AND receipt IS NULL AND started >= ?2",
                params![holder_id, stale_before_ms],
                |r| r.get(0),
            )?;
            if running >= i64::from(limits.at_once) {
                return Ok(Some(PushState::Limited {
                    retry_after_s: 60,
                    at_once: true,
                }));
            }
            let (count, oldest): (i64, Option<i64>) = tx.query_row(
                "SELECT COUNT(*), MIN(started) FROM holder_push
                 WHERE holder_id = ?1 AND started > ?2",
                params![holder_id, now_ms - HOUR_MS],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if count >= i64::from(limits.pushes_per_hour) {
                let free_at = oldest.unwrap_or(now_ms) + HOUR_MS;
                let wait_ms = (free_at - now_ms).max(1000);
                return Ok(Some(PushState::Limited {
                    retry_after_s: u64::try_from(wait_ms).map_or(3600, |ms| ms.div_ceil(1000)),
                    at_once: false,
                }));
            }
            Ok(None)
        };
        let state = match seen {
            Some((_, Some(receipt))) => PushState::Done { receipt },
            Some((since_ms, None)) if since_ms >= stale_before_ms => {
                PushState::Running { since_ms }
            }
            _ if let Some(limited) = limited()? => limited,
            _ => {
                tx.execute(
                    "INSERT INTO holder_push (holder_id, key, started, receipt) VALUES (?1, ?2, ?3, NULL)
                     ON CONFLICT(holder_id, key) DO UPDATE SET started = excluded.started",
                    params![holder_id, key, now_ms],
                )?;
                PushState::Started
            }
        };
        tx.commit()?;
        Ok(state)
    }

    async fn finish_push(
        &self,
        holder_id: &str,
        key: &str,
        receipt: &str,
    ) -> Result<(), StoreError> {
        self.host().execute(
            "UPDATE holder_push SET receipt = ?3 WHERE holder_id = ?1 AND key = ?2",
            params![holder_id, key, receipt],
        )?;
        Ok(())
    }

    async fn abandon_push(&self, holder_id: &str, key: &str) -> Result<(), StoreError> {
        // Its key freed (renamed) and no longer under way, but still one of
        // the pushes begun this hour: a failing push is not a free one.
        self.host().execute(
            "UPDATE holder_push SET key = key || '#abandoned-' || hex(randomblob(8)), receipt = ''
             WHERE holder_id = ?1 AND key = ?2 AND receipt IS NULL",
            params![holder_id, key],
        )?;
        Ok(())
    }

    async fn add_deliveries(&self, deliveries: &[Delivery]) -> Result<(), StoreError> {
        let mut host = self.host();
        let tx = host.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO holder_delivery (pod, holder_id, push, at, records, outcome, ok)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for d in deliveries {
                insert.execute(params![
                    d.pod,
                    d.holder_id,
                    d.push,
                    d.at_ms,
                    i64::try_from(d.records).unwrap_or(i64::MAX),
                    d.outcome,
                    d.ok
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    async fn deliveries_of(&self, pod: &str, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached(
            "SELECT pod, holder_id, push, at, records, outcome, ok FROM holder_delivery
             WHERE pod = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
        )?;
        Ok(stmt
            .query_map(
                params![pod, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    Ok(Delivery {
                        pod: r.get(0)?,
                        holder_id: r.get(1)?,
                        push: r.get(2)?,
                        at_ms: r.get(3)?,
                        records: u64::try_from(r.get::<_, i64>(4)?).unwrap_or(0),
                        outcome: r.get(5)?,
                        ok: r.get(6)?,
                    })
                },
            )?
            .collect::<Result<_, _>>()?)
    }

    async fn forget_pod_links(&self, pod: &str) -> Result<(), StoreError> {
        let mut host = self.host();
        let tx = host.transaction()?;
        tx.execute("DELETE FROM holder_link WHERE pod = ?1", [pod])?;
        tx.execute("DELETE FROM holder_delivery WHERE pod = ?1", [pod])?;
        tx.execute("DELETE FROM holder_transfer WHERE pod = ?1", [pod])?;
        tx.commit()?;
        Ok(())
    }

    async fn add_transfer(&self, t: &Transfer) -> Result<(), StoreError> {
        let resources =
            serde_json::to_string(&t.resources).map_err(|e| StoreError::Io(e.to_string()))?;
        self.host().execute(
            &format!(
                "INSERT INTO holder_transfer ({TRANSFER_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ),
            params![
                t.id,
                t.pod,
                t.holder_id,
                t.consent_id,
                t.purpose,
                resources,
                t.created_ms,
                t.expires_ms,
                t.revoked_ms,
                i64::try_from(t.reads).unwrap_or(i64::MAX),
                t.last_read_ms
            ],
        )?;
        Ok(())
    }

    async fn transfer(&self, id: &str) -> Result<Option<Transfer>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached(&format!(
            "SELECT {TRANSFER_COLUMNS} FROM holder_transfer WHERE id = ?1"
        ))?;
        Ok(stmt.query_row([id], transfer_row).optional()?)
    }

    async fn transfers_of_pod(&self, pod: &str) -> Result<Vec<Transfer>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached(&format!(
            "SELECT {TRANSFER_COLUMNS} FROM holder_transfer WHERE pod = ?1 ORDER BY created DESC, id"
        ))?;
        Ok(stmt
            .query_map([pod], transfer_row)?
            .collect::<Result<_, _>>()?)
    }

    async fn live_transfers_to(
        &self,
        holder_id: &str,
        now_ms: i64,
    ) -> Result<Vec<Transfer>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached(&format!(
            "SELECT {TRANSFER_COLUMNS} FROM holder_transfer
             WHERE holder_id = ?1 AND expires > ?2 AND revoked IS NULL
             ORDER BY created DESC, id"
        ))?;
        Ok(stmt
            .query_map(params![holder_id, now_ms], transfer_row)?
            .collect::<Result<_, _>>()?)
    }

    async fn revoke_transfer(&self, pod: &str, id: &str, at_ms: i64) -> Result<bool, StoreError> {
        let n = self.host().execute(
            "UPDATE holder_transfer SET revoked = ?3
             WHERE pod = ?1 AND id = ?2 AND revoked IS NULL",
            params![pod, id, at_ms],
        )?;
        Ok(n == 1)
    }

    async fn count_reads(&self, id: &str, files: u64, at_ms: i64) -> Result<(), StoreError> {
        self.host().execute(
            "UPDATE holder_transfer SET reads = reads + ?2, last_read = ?3 WHERE id = ?1",
            params![id, i64::try_from(files).unwrap_or(i64::MAX), at_ms],
        )?;
        Ok(())
    }

    async fn dump(&self) -> Result<HoldersDump, StoreError> {
        let host = self.host();
        let holders: Vec<String> = host
            .prepare("SELECT json FROM holder")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut dump = HoldersDump {
            holders: holders
                .into_iter()
                .map(holder_from_json)
                .collect::<Result<_, _>>()?,
            links: host
                .prepare(&format!("SELECT {LINK_COLUMNS} FROM holder_link"))?
                .query_map([], link_row)?
                .collect::<Result<_, _>>()?,
            pushes: host
                .prepare("SELECT holder_id, key, started, receipt FROM holder_push")?
                .query_map([], |r| {
                    Ok(PushRecord {
                        holder_id: r.get(0)?,
                        key: r.get(1)?,
                        started_ms: r.get(2)?,
                        receipt: r.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?,
            deliveries: host
                .prepare(
                    "SELECT id, pod, holder_id, push, at, records, outcome, ok FROM holder_delivery",
                )?
                .query_map([], |r| {
                    Ok(DeliveryRecord {
                        id: r.get(0)?,
                        delivery: Delivery {
                            pod: r.get(1)?,
                            holder_id: r.get(2)?,
                            push: r.get(3)?,
                            at_ms: r.get(4)?,
                            records: u64::try_from(r.get::<_, i64>(5)?).unwrap_or(0),
                            outcome: r.get(6)?,
                            ok: r.get(7)?,
                        },
                    })
                })?
                .collect::<Result<_, _>>()?,
            transfers: host
                .prepare(&format!("SELECT {TRANSFER_COLUMNS} FROM holder_transfer"))?
                .query_map([], transfer_row)?
                .collect::<Result<_, _>>()?,
        };
        dump.sort();
        Ok(dump)
    }

    async fn load(&self, dump: &HoldersDump) -> Result<(), StoreError> {
        let mut host = self.host();
        let tx = host.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let held: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM holder) OR EXISTS (SELECT 1 FROM holder_link)
               OR EXISTS (SELECT 1 FROM holder_push) OR EXISTS (SELECT 1 FROM holder_delivery)
               OR EXISTS (SELECT 1 FROM holder_transfer)",
            [],
            |r| r.get(0),
        )?;
        if held {
            return Err(crate::holders::not_empty("holders'"));
        }
        for h in &dump.holders {
            let json = serde_json::to_string(h).map_err(|e| StoreError::Io(e.to_string()))?;
            tx.execute(
                "INSERT INTO holder (id, json) VALUES (?1, ?2)",
                params![h.id, json],
            )?;
        }
        for l in &dump.links {
            tx.execute(
                &format!("INSERT INTO holder_link ({LINK_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
                params![
                    l.holder_id,
                    &l.customer[..],
                    l.pod,
                    l.consent_id,
                    l.created_ms
                ],
            )?;
        }
        for p in &dump.pushes {
            tx.execute(
                "INSERT INTO holder_push (holder_id, key, started, receipt) VALUES (?1, ?2, ?3, ?4)",
                params![p.holder_id, p.key, p.started_ms, p.receipt],
            )?;
        }
        for DeliveryRecord { id, delivery: d } in &dump.deliveries {
            tx.execute(
                "INSERT INTO holder_delivery (id, pod, holder_id, push, at, records, outcome, ok)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    id,
                    d.pod,
                    d.holder_id,
                    d.push,
                    d.at_ms,
                    i64::try_from(d.records).unwrap_or(i64::MAX),
                    d.outcome,
                    d.ok
                ],
            )?;
        }
        for t in &dump.transfers {
            let resources =
                serde_json::to_string(&t.resources).map_err(|e| StoreError::Io(e.to_string()))?;
            tx.execute(
                &format!(
                    "INSERT INTO holder_transfer ({TRANSFER_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
                ),
                params![
                    t.id,
                    t.pod,
                    t.holder_id,
                    t.consent_id,
                    t.purpose,
                    resources,
                    t.created_ms,
                    t.expires_ms,
                    t.revoked_ms,
                    i64::try_from(t.reads).unwrap_or(i64::MAX),
                    t.last_read_ms
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}
