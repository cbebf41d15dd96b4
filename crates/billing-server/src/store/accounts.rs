//! Users, their grants and the account's balance, over SQL.

use billing_rules::model::{Account, User};
use billing_rules::store::*;

use super::codec::*;
use super::db;
use super::SqlStore;

impl AccountStore for SqlStore<'_> {
    fn user(&mut self, user_id: &str) -> StoreResult<Option<User>> {
        let row = self
            .conn
            .row(
                &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
                &[user_id.into()],
            )
            .map_err(db)?;
        row.map(|r| user(&r).map_err(db)).transpose()
    }

    fn tenant_users(&mut self, tenant: &str) -> StoreResult<Vec<User>> {
        let rows = self
            .conn
            .rows(
                &format!("SELECT {USER_COLS} FROM users WHERE tenant_id = $1 ORDER BY id"),
                &[tenant.into()],
            )
            .map_err(db)?;
        rows.iter().map(|r| user(r).map_err(db)).collect()
    }

    fn set_postpaid_permission(
        &mut self,
        tenant: &str,
        user_id: &str,
        granted: bool,
    ) -> StoreResult<()> {
        self.conn
            .exec(
                "UPDATE users SET postpaid_permission = $3 WHERE tenant_id = $1 AND id = $2",
                &[tenant.into(), user_id.into(), granted.into()],
            )
            .map_err(db)?;
        Ok(())
    }

    fn account(&mut self, tenant: &str) -> StoreResult<Option<Account>> {
        Ok(self
            .conn
            .row(
                "SELECT tenant_id, name, balance_cents, currency FROM accounts WHERE tenant_id = $1",
                &[tenant.into()],
            )
            .map_err(db)?
            .map(|r| Account {
                tenant_id: r.text("tenant_id"),
                name: r.text("name"),
                balance_cents: r.int("balance_cents"),
                currency: r.text("currency"),
            }))
    }

    fn set_balance(&mut self, tenant: &str, cents: i64) -> StoreResult<()> {
        self.conn
            .exec(
                "UPDATE accounts SET balance_cents = $2 WHERE tenant_id = $1",
                &[tenant.into(), cents.into()],
            )
            .map_err(db)?;
        Ok(())
    }
}
