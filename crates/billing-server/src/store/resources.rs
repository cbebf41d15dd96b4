//! Resources, their deduction order, the list page and knowledge, over SQL.

use std::collections::BTreeSet;

use billing_rules::api::{ListResourcesRequest, ResourcePage, ResourceRow, SortKey};
use billing_rules::knowledge::{KnowledgeItem, KnowledgeState};
use billing_rules::model::{Resource, ResourceKind};
use billing_rules::reminders::next_due;
use billing_rules::status::{status, Status};
use billing_rules::store::*;
use chrono::{DateTime, Utc};

use super::codec::*;
use super::db;
use super::sql::{Row, V};
use super::sql_store::*;
use super::SqlStore;

impl ResourceStore for SqlStore<'_> {
    fn resource(&mut self, tenant: &str, id: &str) -> StoreResult<Option<Resource>> {
        Ok(self
            .resources_where("tenant_id = $1 AND id = $2", &[tenant.into(), id.into()])?
            .into_iter()
            .next())
    }

    fn due_resources(&mut self, tenant: &str, now: DateTime<Utc>) -> StoreResult<Vec<Resource>> {
        self.resources_where(
            "tenant_id = $1 AND due_at <= $2 ORDER BY id",
            &[tenant.into(), ns(now).into()],
        )
    }

    fn save_resource(
        &mut self,
        r: &Resource,
        was: Option<Status>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let old = match was {
            Some(w) => Some(Row::new(
                ["status".to_string(), "tab".to_string()].into(),
                vec![tag(&w).into(), tag(&r.kind.tab()).into()],
            )),
            None => self
                .conn
                .row(
                    "SELECT status, tab FROM resources WHERE tenant_id = $1 AND id = $2",
                    &[(&r.tenant_id).into(), (&r.id).into()],
                )
                .map_err(db)?,
        };
        let s = status(r, now);
        let mut p = resource_params(r, s, next_due(r, now));
        // Key columns go last for the WHERE.
        let key = p.drain(0..2).collect::<Vec<_>>();
        p.extend(key);
        self.conn
            .exec(
                "UPDATE resources SET name = $1, kind = $2, source = $3, total = $4, used = $5, effective_at = $6, expires_at = $7, model = $8, refunded = $9, tab = $10, status = $11, usage_bp = $12, draw_rank = $13, search = $14, due_at = $15 WHERE tenant_id = $16 AND id = $17",
                &p,
            )
            .map_err(db)?;
        let new = tag(&s);
        if let Some(old) = old {
            let (was, tab) = (old.text("status"), old.text("tab"));
            if was != new {
                self.count_status(&r.tenant_id, &tab, &was, -1)?;
                self.count_status(&r.tenant_id, &tab, &new, 1)?;
            }
        }
        Ok(())
    }

    fn drawable(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        need: u64,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>> {
        const BATCH: i64 = 32;
        let mut out: Vec<Resource> = Vec::new();
        let mut covered = 0u64;
        loop {
            let batch = self.resources_where(
                &format!("tenant_id = $1 AND kind = $2 AND status = 'Available' AND used < total ORDER BY draw_rank, expires_at, id LIMIT {BATCH} OFFSET $3"),
                &[tenant.into(), tag(&kind).into(), (out.len() as i64).into()],
            )?;
            let last = (batch.len() as i64) < BATCH;
            for r in batch {
                if covered >= need {
                    return Ok(out);
                }
                // Stored status is current: the tenant was advanced to now.
                debug_assert_eq!(status(&r, now), Status::Available);
                covered = covered.saturating_add(r.remaining());
                out.push(r);
            }
            if last || covered >= need {
                return Ok(out);
            }
        }
    }

    fn drawable_page(
        &mut self,
        tenant: &str,
        kind: ResourceKind,
        after: Option<&Resource>,
        alive_at: DateTime<Utc>,
        limit: usize,
        _now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>> {
        // The order is (draw_rank, expires_at, id), one index range per rank
        // starting at the later of `after` and `alive_at`.
        let mut out: Vec<Resource> = Vec::new();
        for r in after.map_or(0, draw_rank)..=1 {
            let (from, id) = match after {
                Some(a) if draw_rank(a) == r && a.expires_at >= alive_at => {
                    (a.expires_at, a.id.clone())
                }
                _ => (alive_at, String::new()),
            };
            let left = limit - out.len();
            out.extend(self.resources_where(
                &format!("tenant_id = $1 AND kind = $2 AND status = 'Available' AND used < total AND draw_rank = $3 AND (expires_at > $4 OR (expires_at = $4 AND id > $5)) ORDER BY expires_at, id LIMIT {left}"),
                &[tenant.into(), tag(&kind).into(), r.into(), ns(from).into(), id.into()],
            )?);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    fn knowledge_capacity(
        &mut self,
        tenant: &str,
        _now: DateTime<Utc>,
    ) -> StoreResult<Vec<Resource>> {
        self.resources_where(
            "tenant_id = $1 AND kind = 'KnowledgeCapacity' AND status = 'Available'",
            &[tenant.into()],
        )
    }

    fn list(
        &mut self,
        tenant: &str,
        q: &ListResourcesRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<ResourcePage> {
        let search = q.search.trim().to_lowercase();
        let pattern = (!search.is_empty()).then(|| like_pattern(&search));
        let counts = self.counts(tenant, q, pattern.as_deref())?;
        let total = counts.get(q.status);
        let mut params: Vec<V> = vec![tenant.into(), tag(&q.tab).into()];
        let mut filter = String::from("tenant_id = $1 AND tab = $2");
        if let Some(s) = q.status {
            params.push(tag(&s).into());
            filter.push_str(&format!(" AND status = ${}", params.len()));
        }
        if let Some(p) = pattern {
            params.push(p.into());
            filter.push_str(&format!(" AND search LIKE ${} ESCAPE '\\'", params.len()));
        }
        let order = match q.sort {
            SortKey::ExpiresAsc => "expires_at ASC, id ASC",
            SortKey::ExpiresDesc => "expires_at DESC, id ASC",
            SortKey::UsageDesc => "usage_bp DESC, id ASC",
            SortKey::UsageAsc => "usage_bp ASC, id ASC",
        };
        let offset = (q.page_number as i64 - 1).saturating_mul(q.page_size as i64);
        params.push(offset.into());
        let n = params.len();
        // The limit is written into the statement (a handful of page sizes):
        // SQLite plans `ORDER BY … LIMIT ?` several times slower.
        let rows = self.resources_where(
            &format!(
                "{filter} ORDER BY {order} LIMIT {} OFFSET ${n}",
                q.page_size
            ),
            &params,
        )?;
        let items = rows.into_iter().map(|r| ResourceRow::at(r, now)).collect();
        Ok(ResourcePage {
            items,
            total,
            counts,
            as_of: now,
        })
    }

    fn attention(&mut self, tenant: &str, now: DateTime<Utc>) -> StoreResult<Vec<Resource>> {
        let month = chrono::Duration::days(30);
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for (w, p) in [
            ("status = 'Available' AND expires_at <= $2", ns(now + month)),
            ("status = 'Available' AND usage_bp >= $2", 9000),
            ("status = 'Exhausted' AND expires_at > $2", i64::MIN),
            ("status = 'Expired' AND expires_at >= $2", ns(now - month)),
        ] {
            for r in self.resources_where(
                &format!("tenant_id = $1 AND {w}"),
                &[tenant.into(), p.into()],
            )? {
                if seen.insert(r.id.clone()) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    fn knowledge(&mut self, tenant: &str) -> StoreResult<Vec<KnowledgeItem>> {
        let rows = self
            .conn
            .rows(
                "SELECT tenant_id, id, name, kind, chars, created_at, state FROM knowledge WHERE tenant_id = $1 ORDER BY id",
                &[tenant.into()],
            )
            .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(KnowledgeItem {
                    tenant_id: r.text("tenant_id"),
                    id: r.text("id"),
                    name: r.text("name"),
                    kind: untag(&r.text("kind")).map_err(db)?,
                    chars: r.u64("chars"),
                    created_at: from_ns(r.int("created_at")),
                    state: untag(&r.text("state")).map_err(db)?,
                })
            })
            .collect()
    }

    fn set_knowledge_state(
        &mut self,
        tenant: &str,
        ids: &[String],
        state: KnowledgeState,
    ) -> StoreResult<()> {
        for id in ids {
            self.conn
                .exec(
                    "UPDATE knowledge SET state = $3 WHERE tenant_id = $1 AND id = $2",
                    &[tenant.into(), id.into(), tag(&state).into()],
                )
                .map_err(db)?;
        }
        Ok(())
    }
}
