//! PostgreSQL connections, each with its own prepared-statement cache.

use std::collections::HashMap;
use std::error::Error;
use std::sync::Arc;

use bytes::BytesMut;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use postgres::{Client, NoTls, Statement};

use super::sql::{DbError, Dialect, Row, Sql, V};

impl ToSql for V {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            V::Null => Ok(IsNull::Yes),
            V::Int(n) => n.to_sql(ty, out),
            V::Text(s) => s.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A client and the statements it has prepared.
pub struct PgConn {
    /// Always Some until dropped.
    client: Option<Client>,
    /// Each prepared statement with its column names.
    stmts: HashMap<String, (Statement, Arc<[String]>)>,
}

impl Drop for PgConn {
    /// The blocking client closes by blocking on its own runtime, which
    /// panics inside an async context: close it on a thread of its own.
    fn drop(&mut self) {
        if let Some(c) = self.client.take() {
            let _ = std::thread::Builder::new().spawn(move || drop(c));
        }
    }
}

impl PgConn {
    fn client(&mut self) -> &mut Client {
        self.client.as_mut().expect("client present until drop")
    }

    fn stmt(&mut self, sql: &str) -> Result<(Statement, Arc<[String]>), DbError> {
        if let Some(s) = self.stmts.get(sql) {
            return Ok(s.clone());
        }
        let st = self.client().prepare(sql)?;
        let cols: Arc<[String]> = st.columns().iter().map(|c| c.name().to_string()).collect();
        self.stmts
            .insert(sql.to_string(), (st.clone(), cols.clone()));
        Ok((st, cols))
    }
}

/// Opens connections to one database for the pool.
#[derive(Debug)]
pub struct PgManager {
    pub config: postgres::Config,
}

impl r2d2::ManageConnection for PgManager {
    type Connection = PgConn;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgConn, postgres::Error> {
        Ok(PgConn {
            client: Some(self.config.connect(NoTls)?),
            stmts: HashMap::new(),
        })
    }

    fn is_valid(&self, c: &mut PgConn) -> Result<(), postgres::Error> {
        c.client().simple_query("").map(|_| ())
    }

    fn has_broken(&self, c: &mut PgConn) -> bool {
        c.client.as_ref().is_none_or(|c| c.is_closed())
    }
}

fn params(ps: &[V]) -> Vec<&(dyn ToSql + Sync)> {
    ps.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Sql for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn exec(&mut self, sql: &str, ps: &[V]) -> Result<u64, DbError> {
        let (st, _) = self.stmt(sql)?;
        Ok(self.client().execute(&st, &params(ps))?)
    }

    fn rows(&mut self, sql: &str, ps: &[V]) -> Result<Vec<Row>, DbError> {
        let (st, cols) = self.stmt(sql)?;
        let rows = self.client().query(&st, &params(ps))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut vals = Vec::with_capacity(r.len());
            for (i, c) in r.columns().iter().enumerate() {
                let v = match *c.type_() {
                    Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map(V::Int),
                    Type::INT4 => r.try_get::<_, Option<i32>>(i)?.map(|n| V::Int(n as i64)),
                    Type::INT2 => r.try_get::<_, Option<i16>>(i)?.map(|n| V::Int(n as i64)),
                    Type::BOOL => r.try_get::<_, Option<bool>>(i)?.map(|b| V::Int(b as i64)),
                    // void (pg_notify, advisory locks) and anything else not text.
                    _ => r
                        .try_get::<_, Option<String>>(i)
                        .ok()
                        .flatten()
                        .map(V::Text),
                };
                vals.push(v.unwrap_or(V::Null));
            }
            out.push(Row::new(cols.clone(), vals));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), DbError> {
        Ok(self.client().batch_execute(sql)?)
    }
}
