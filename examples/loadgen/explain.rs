//! `loadgen explain`: the SQL the listing runs for each benchmarked filter mix, with the bound
//! values inlined as literals, ready for `EXPLAIN QUERY PLAN` (sqlite3) or `EXPLAIN ANALYZE` (psql).
//!
//! The filter comes from `egodaeyeo::catalog::store::list_sql_for_explain`; that helper always
//! orders by `i.id DESC`, so the ORDER BY and column list are put back to what `store::list`
//! runs for the mix's sort. Each mix prints two statements: the page query and the COUNT query.
use anyhow::Context;
use egodaeyeo::catalog::model::{ListQuery, Sort};
use egodaeyeo::catalog::store::list_sql_for_explain;
use egodaeyeo::db::{Arg, Backend, Db};
use egodaeyeo::regions::Regions;
use sqlx::Row;

use crate::seed::CENTER;
use crate::DbArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub db: DbArgs,
    /// Only this mix (see `--list`); all when absent.
    #[arg(long)]
    pub mix: Option<String>,
    /// Print the mix names and their HTTP query strings.
    #[arg(long)]
    pub list: bool,
    /// Run EXPLAIN QUERY PLAN (SQLite) / EXPLAIN ANALYZE (PostgreSQL) through the library's own
    /// driver instead of printing the SQL.
    #[arg(long)]
    pub run: bool,
}

const ITEM_COLS: &str = "i.id, i.owner_id, i.section, i.category_id, c.slug AS category_slug, c.name AS category_name, \
    i.title, i.description, i.price, i.price_unit, i.deposit, i.region_code, i.hidden, i.rented, i.listed, i.thumb_key, \
    i.bookmark_count, i.chat_count, i.view_count, i.created_at, i.deleted_at";

/// (name, HTTP query string of the benchmark)
pub const MIXES: &[(&str, &str)] = &[
    (
        "tools_5km",
        "category=tools&region=1144066000&radius_km=5&sort=recent",
    ),
    ("q_drill", "q=%EB%93%9C%EB%A6%B4"),
    ("price_asc", "min_price=5000&max_price=20000&sort=price_asc"),
    (
        "q_projector_3km",
        "q=%ED%94%84%EB%A1%9C%EC%A0%9D%ED%84%B0&region=1144066000&radius_km=3",
    ),
];

fn base() -> ListQuery {
    ListQuery {
        limit: 12,
        ..ListQuery::default()
    }
}

fn within(km: f64) -> Option<Vec<String>> {
    Some(
        Regions::load()
            .within(CENTER, km)
            .iter()
            .map(|r| r.code.clone())
            .collect(),
    )
}

fn literal(a: &Arg) -> String {
    match a {
        Arg::Int(i) => i.to_string(),
        Arg::Text(s) => format!("'{}'", s.replace('\'', "''")),
    }
}

/// Replaces `$n` placeholders (highest first, so `$1` does not eat `$12`) by literals.
fn inline(sql: &str, args: &[Arg]) -> String {
    let mut out = sql.to_string();
    for (i, a) in args.iter().enumerate().rev() {
        out = out.replace(&format!("${}", i + 1), &literal(a));
    }
    out
}

pub async fn run(a: Args) -> anyhow::Result<()> {
    if a.list {
        for (name, qs) in MIXES {
            println!("{name} {qs}");
        }
        return Ok(());
    }
    let db = Db::connect(&a.db.config().database_url()).await?;
    let tools: i64 = sqlx::query("SELECT id FROM categories WHERE slug = 'tools'")
        .fetch_one(&db.read)
        .await?
        .try_get(0)?;
    for (name, _) in MIXES {
        if a.mix.as_deref().is_some_and(|m| m != *name) {
            continue;
        }
        let q = match *name {
            "tools_5km" => ListQuery {
                category_id: Some(tools),
                region_codes: within(5.0),
                ..base()
            },
            "q_drill" => ListQuery {
                words: vec!["드릴".into()],
                ..base()
            },
            "price_asc" => ListQuery {
                min_price: Some(5000),
                max_price: Some(20000),
                sort: Sort::PriceAsc,
                ..base()
            },
            "q_projector_3km" => ListQuery {
                words: vec!["프로젝터".into()],
                region_codes: within(3.0),
                ..base()
            },
            _ => unreachable!(),
        };
        let (sql, args) = list_sql_for_explain(&db, &q);
        let where_ = sql
            .split_once(" WHERE ")
            .and_then(|(_, rest)| rest.rsplit_once(" ORDER BY "))
            .map(|(w, _)| w.to_string())
            .context("unexpected listing SQL shape")?;
        let order = egodaeyeo::catalog::store::list_order(&q);
        let page = format!(
            "SELECT {ITEM_COLS} FROM items i JOIN categories c ON c.id = i.category_id WHERE {where_} ORDER BY {order} LIMIT 12 OFFSET 0"
        );
        let count = format!("SELECT COUNT(*) FROM items i WHERE {where_}");
        for (part, sql) in [
            ("page", inline(&page, &args)),
            ("count", inline(&count, &args)),
        ] {
            println!("-- {name}: {part}");
            if !a.run {
                println!("{sql};");
                continue;
            }
            match db.backend {
                Backend::Sqlite => {
                    let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
                        .fetch_all(&db.read)
                        .await?;
                    let mut depth: Vec<(i64, usize)> = Vec::new();
                    for r in rows {
                        let (id, parent, detail): (i64, i64, String) =
                            (r.try_get(0)?, r.try_get(1)?, r.try_get(3)?);
                        let level = depth
                            .iter()
                            .find(|(i, _)| *i == parent)
                            .map(|(_, l)| l + 1)
                            .unwrap_or(0);
                        depth.push((id, level));
                        println!("{}{detail}", "  ".repeat(level));
                    }
                }
                Backend::Postgres => {
                    for r in sqlx::query(&format!("EXPLAIN ANALYZE {sql}"))
                        .fetch_all(&db.read)
                        .await?
                    {
                        println!("{}", r.try_get::<String, _>(0)?);
                    }
                }
            }
        }
    }
    Ok(())
}
