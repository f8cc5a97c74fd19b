//! Item pages kept in memory while the database's page versions stand still (issue #16): changes
//! made by other processes (plain SQL here, as another instance or the CLI would) show within the
//! TTL, changes that come with time show at their moment, and an unchanged page costs no SQL.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;
use egodaeyeo::catalog::cache::{DETAIL_MAX_AGE_MS, TTL_MS};

async fn page(app: &TestApp, item: i64) -> Value {
    let (s, b) = app.get(&format!("/items/{item}"), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

fn misses(app: &TestApp) -> u64 {
    app.state.cache.details.stats("item_details").2
}

async fn sql(app: &TestApp, statement: &str, args: &[i64]) {
    let mut q = sqlx::query(statement);
    for a in args {
        q = q.bind(*a);
    }
    q.execute(&app.state.db.write).await.unwrap();
}

async fn detail_version(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT n FROM detail_version WHERE id = 1")
        .fetch_one(&app.state.db.write)
        .await
        .unwrap()
}

/// A lender's item with a borrower's accepted rental a day from now; returns (lender, borrower,
/// item, rental).
async fn booked_item(app: &TestApp) -> (User, User, i64, i64) {
    let lender = app.signup("pg_lender").await;
    let borrower = app.signup("pg_borrow").await;
    let item = app
        .create_item(&lender, json!({"title": "캠핑 의자"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let rental = app
        .accepted_rental(&lender, &borrower, item, DAY, 2 * DAY)
        .await;
    (lender, borrower, item, rental)
}

#[tokio::test]
async fn an_unchanged_item_page_is_served_from_memory_past_the_ttl_up_to_its_max_age() {
    let app = TestApp::spawn().await;
    let owner = app.signup("pg_owner").await;
    let item = app.create_item(&owner, json!({"title": "드릴"})).await["id"]
        .as_i64()
        .unwrap();
    page(&app, item).await;
    let filled = misses(&app);
    // Views flushed by another instance move no version: the page stays as it was made.
    sql(
        &app,
        "UPDATE items SET view_count = 1000 WHERE id = $1",
        &[item],
    )
    .await;
    app.state.clock.advance_ms(4 * TTL_MS);
    let kept = page(&app, item).await;
    assert_eq!(misses(&app), filled, "served from memory, no SQL");
    assert!(kept["view_count"].as_i64().unwrap() < 1000, "{kept}");
    // Past its max age the page is read again, and the other instance's views show.
    app.state.clock.advance_ms(DETAIL_MAX_AGE_MS);
    let read = page(&app, item).await;
    assert_eq!(misses(&app), filled + 1);
    assert!(read["view_count"].as_i64().unwrap() >= 1000, "{read}");
    app.stop().await;
}

#[tokio::test]
async fn changes_made_elsewhere_show_on_item_pages_within_the_ttl() {
    let app = TestApp::spawn().await;
    let (lender, borrower, item, rental) = booked_item(&app).await;
    let before = page(&app, item).await;
    assert_eq!(before["owner"]["nickname"], "pg_lender");
    assert_eq!(before["booked"].as_array().unwrap().len(), 1, "{before}");

    // The owner renamed on another instance: the page here is as it was within the TTL, and
    // new once the versions are read again.
    sql(
        &app,
        "UPDATE users SET nickname = '새이름' WHERE id = $1",
        &[lender.id],
    )
    .await;
    assert_eq!(page(&app, item).await["owner"]["nickname"], "pg_lender");
    app.state.clock.advance_ms(TTL_MS);
    assert_eq!(page(&app, item).await["owner"]["nickname"], "새이름");

    // The item retitled elsewhere (the catalog version).
    sql(
        &app,
        "UPDATE items SET title = '접이식 의자' WHERE id = $1",
        &[item],
    )
    .await;
    app.state.clock.advance_ms(TTL_MS);
    assert_eq!(page(&app, item).await["title"], "접이식 의자");

    // The rental cancelled elsewhere: the calendar empties.
    sql(
        &app,
        "UPDATE rentals SET status = 'cancelled' WHERE id = $1",
        &[rental],
    )
    .await;
    app.state.clock.advance_ms(TTL_MS);
    assert_eq!(page(&app, item).await["booked"], json!([]));

    // A photo added elsewhere.
    sql(
        &app,
        "INSERT INTO item_images (item_id, position, key, thumb_key, created_at) VALUES ($1, 0, 'k.jpg', 'k_t.jpg', 0)",
        &[item],
    )
    .await;
    app.state.clock.advance_ms(TTL_MS);
    assert_eq!(
        page(&app, item).await["images"].as_array().unwrap().len(),
        1
    );

    // A rental request changes no page, so it moves no version.
    let n = detail_version(&app).await;
    let (s, b) = app
        .post(
            &format!("/items/{item}/rentals"),
            Some(&borrower.token),
            json!({"start_at": app.at(3 * DAY), "end_at": app.at(4 * DAY)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(detail_version(&app).await, n);
    app.stop().await;
}

#[tokio::test]
async fn a_booking_ending_or_a_review_becoming_visible_changes_the_page_at_that_moment() {
    let app = TestApp::spawn().await;
    let (lender, borrower, item, rental) = booked_item(&app).await;
    let now = app.state.clock.now_ms();
    // The booking ends a second after the page is next made.
    sql(
        &app,
        "UPDATE rentals SET start_at = $1, end_at = $2 WHERE id = $3",
        &[now - DAY, now + TTL_MS + 1000, rental],
    )
    .await;
    app.state.clock.advance_ms(TTL_MS);
    assert_eq!(
        page(&app, item).await["booked"].as_array().unwrap().len(),
        1
    );
    app.state.clock.advance_ms(1000);
    assert_eq!(
        page(&app, item).await["booked"],
        json!([]),
        "gone when it ends, not a TTL later"
    );

    // A review about the owner that others may see half a second after the page is next made.
    let now = app.state.clock.now_ms();
    sql(
        &app,
        "INSERT INTO reviews (rental_id, item_id, author_id, subject_id, rating, content, created_at, visible_at) \
         VALUES ($1, $2, $3, $4, 5, '좋아요', $5, $6)",
        &[rental, item, borrower.id, lender.id, now, now + TTL_MS + 500],
    )
    .await;
    app.state.clock.advance_ms(TTL_MS);
    let hidden = page(&app, item).await;
    assert_eq!(hidden["reviews"], json!([]));
    assert_eq!(hidden["owner"]["review_count"], 0);
    app.state.clock.advance_ms(500);
    let shown = page(&app, item).await;
    assert_eq!(shown["reviews"].as_array().unwrap().len(), 1, "{shown}");
    assert_eq!(shown["owner"]["review_count"], 1);
    app.stop().await;
}
