//! Once-only thresholds, notices and the reminder outbox, over SQL.

use billing_rules::api::{
    ApiError, ErrorCode, NoticePage, NoticeView, NoticesRequest, OutboxPage, OutboxRequest,
};
use billing_rules::notify::{NoticeRecord, OutboxMessage};
use billing_rules::reminders::FiredKey;
use billing_rules::store::*;

use super::codec::*;
use super::db;
use super::import::*;
use super::sql::V;
use super::SqlStore;

impl NoticeStore for SqlStore<'_> {
    fn mark_fired(&mut self, tenant: &str, key: &FiredKey) -> StoreResult<bool> {
        Ok(insert_fired(self.conn, tenant, key).map_err(db)? == 1)
    }

    fn next_message_seq(&mut self, tenant: &str) -> StoreResult<u64> {
        let r = self
            .conn
            .row(
                "UPDATE accounts SET msg_seq = msg_seq + 1 WHERE tenant_id = $1 RETURNING msg_seq",
                &[tenant.into()],
            )
            .map_err(db)?
            .ok_or_else(|| ApiError::new(ErrorCode::ResourceNotFound, "Unknown account."))?;
        Ok(r.u64("msg_seq"))
    }

    fn add_notice(&mut self, n: &NoticeRecord) -> StoreResult<()> {
        insert_notice(self.conn, n).map_err(db)?;
        Ok(())
    }

    fn add_outbox(&mut self, m: &OutboxMessage) -> StoreResult<()> {
        insert_outbox(self.conn, m).map_err(db)?;
        Ok(())
    }

    fn notices(
        &mut self,
        tenant: &str,
        user_id: &str,
        req: &NoticesRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<NoticePage> {
        let base: [V; 2] = [tenant.into(), user_id.into()];
        let all = self.count(
            "SELECT COUNT(*) AS n FROM notices WHERE tenant_id = $1",
            &base[..1],
        )?;
        let unread_count = self.unread(tenant, user_id)?;
        let only = if req.unread_only {
            " AND r.user_id IS NULL"
        } else {
            ""
        };
        let rows = self
            .conn
            .rows(
                &format!("SELECT n.id, n.resource_id, n.resource_name, n.resource_kind, n.notice, n.at, CASE WHEN r.user_id IS NULL THEN 0 ELSE 1 END AS is_read FROM notices n LEFT JOIN notice_reads r ON r.tenant_id = n.tenant_id AND r.user_id = $2 AND r.notice_id = n.id WHERE n.tenant_id = $1{only} ORDER BY is_read ASC, n.at DESC, n.id DESC LIMIT {take} OFFSET $3"),
                &[tenant.into(), user_id.into(), (skip as i64).into()],
            )
            .map_err(db)?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(NoticeView {
                    id: r.text("id"),
                    resource_id: r.text("resource_id"),
                    resource_name: r.text("resource_name"),
                    resource_kind: untag(&r.text("resource_kind")).map_err(db)?,
                    notice: serde_json::from_str(&r.text("notice")).map_err(|e| db(e.into()))?,
                    at: from_ns(r.int("at")),
                    read: r.int("is_read") != 0,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(NoticePage {
            items,
            total: if req.unread_only { unread_count } else { all },
            unread_count,
        })
    }

    fn unknown_notice(&mut self, tenant: &str, ids: &[String]) -> StoreResult<Option<String>> {
        for id in ids {
            if self
                .conn
                .row(
                    "SELECT 1 FROM notices WHERE tenant_id = $1 AND id = $2",
                    &[tenant.into(), id.into()],
                )
                .map_err(db)?
                .is_none()
            {
                return Ok(Some(id.clone()));
            }
        }
        Ok(None)
    }

    fn mark_read(
        &mut self,
        tenant: &str,
        user_id: &str,
        ids: Option<&[String]>,
    ) -> StoreResult<u64> {
        match ids {
            Some(ids) => {
                for id in ids {
                    self.conn
                        .exec(
                            "INSERT INTO notice_reads (tenant_id, user_id, notice_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                            &[tenant.into(), user_id.into(), id.into()],
                        )
                        .map_err(db)?;
                }
            }
            None => {
                self.conn
                    .exec(
                        "INSERT INTO notice_reads (tenant_id, user_id, notice_id) SELECT tenant_id, $2, id FROM notices WHERE tenant_id = $1 ON CONFLICT DO NOTHING",
                        &[tenant.into(), user_id.into()],
                    )
                    .map_err(db)?;
            }
        }
        self.unread(tenant, user_id)
    }

    fn outbox(
        &mut self,
        tenant: &str,
        _req: &OutboxRequest,
        skip: usize,
        take: usize,
    ) -> StoreResult<OutboxPage> {
        let total = self.count(
            "SELECT COUNT(*) AS n FROM outbox WHERE tenant_id = $1",
            &[tenant.into()],
        )?;
        let rows = self
            .conn
            .rows(
                &format!("SELECT tenant_id, id, resource_id, resource_name, reminder, channels, at FROM outbox WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT {take} OFFSET $2"),
                &[tenant.into(), (skip as i64).into()],
            )
            .map_err(db)?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(OutboxMessage {
                    tenant_id: r.text("tenant_id"),
                    id: r.text("id"),
                    resource_id: r.text("resource_id"),
                    resource_name: r.text("resource_name"),
                    reminder: serde_json::from_str(&r.text("reminder"))
                        .map_err(|e| db(e.into()))?,
                    channels: serde_json::from_str(&r.text("channels"))
                        .map_err(|e| db(e.into()))?,
                    at: from_ns(r.int("at")),
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(OutboxPage { items, total })
    }
}
