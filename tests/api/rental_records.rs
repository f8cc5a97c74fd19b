//! Rentals that survive real life (issue #15): extensions, the handover record both parties
//! sign, the deposit and disputes, with every refusal of api.md and the caller's `actions`.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::*;
use egodaeyeo::rentals::scheduler;

struct Deal {
    lender: User,
    borrower: User,
    stranger: User,
    item: i64,
    rental: i64,
}

/// An accepted rental of `[now + 1 day, now + 2 days)` on a 5,000 KRW/day item with `extra`
/// item fields (e.g. a deposit).
async fn deal(app: &TestApp, extra: Value) -> Deal {
    let lender = app.signup("lender").await;
    let borrower = app.signup("borrower").await;
    let stranger = app.signup("stranger").await;
    let item = app.create_item(&lender, extra).await["id"]
        .as_i64()
        .unwrap();
    let rental = app
        .accepted_rental(&lender, &borrower, item, DAY, 2 * DAY)
        .await;
    Deal {
        lender,
        borrower,
        stranger,
        item,
        rental,
    }
}

async fn rental(app: &TestApp, user: &User, id: i64) -> Value {
    let (s, b) = app.get(&format!("/rentals/{id}"), Some(&user.token)).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    b
}

fn actions(r: &Value) -> Vec<String> {
    r["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

async fn extend(app: &TestApp, user: &User, rental: i64, end_ms: i64) -> (StatusCode, Value) {
    app.post(
        &format!("/rentals/{rental}/extensions"),
        Some(&user.token),
        json!({"end_at": iso(end_ms)}),
    )
    .await
}

async fn decide(
    app: &TestApp,
    user: &User,
    rental: i64,
    ext: i64,
    what: &str,
) -> (StatusCode, Value) {
    app.post(
        &format!("/rentals/{rental}/extensions/{ext}/{what}"),
        Some(&user.token),
        json!({}),
    )
    .await
}

fn end_ms(r: &Value) -> i64 {
    egodaeyeo::clock::parse_rfc3339(r["end_at"].as_str().unwrap()).unwrap()
}

async fn kinds_of(app: &TestApp, user: &User) -> Vec<String> {
    app.notifications(user, false).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

async fn chat_events(app: &TestApp, user: &User, item: i64) -> Vec<String> {
    let room = app.open_chat(user, item).await;
    app.all_messages(user, room)
        .await
        .into_iter()
        .filter_map(|m| m["event"]["type"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn an_accepted_extension_moves_the_end_and_the_price_and_tells_both_sides() {
    let app = TestApp::spawn_long_lived().await;
    let d = deal(&app, json!({})).await;
    let before = rental(&app, &d.borrower, d.rental).await;
    assert_eq!(before["total_price"], 5000);
    assert!(actions(&before).contains(&"extend".to_string()));
    assert!(!actions(&rental(&app, &d.lender, d.rental).await).contains(&"extend".to_string()));
    let new_end = end_ms(&before) + DAY;
    let mut lender_ws = app.ws(&d.lender.token).await;
    let (s, ext) = extend(&app, &d.borrower, d.rental, new_end).await;
    assert_eq!(s, StatusCode::CREATED, "{ext}");
    // The lender's open page hears it live, with their own actions.
    let frame = lender_ws.next_of("rental").await;
    assert_eq!(frame["rental"]["extensions"][0]["status"], "requested");
    assert_eq!(ext["status"], "requested");
    assert_eq!(ext["rental_id"], d.rental);
    assert!(ext["decided_at"].is_null());
    let r = rental(&app, &d.borrower, d.rental).await;
    assert_eq!(r["extensions"].as_array().unwrap().len(), 1);
    assert!(
        !actions(&r).contains(&"extend".to_string()),
        "one open extension at a time"
    );
    assert!(kinds_of(&app, &d.lender)
        .await
        .contains(&"extension_requested".to_string()));
    let (s, done) = decide(
        &app,
        &d.lender,
        d.rental,
        ext["id"].as_i64().unwrap(),
        "accept",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "accepted");
    assert!(done["decided_at"].is_string());
    let r = rental(&app, &d.borrower, d.rental).await;
    assert_eq!(end_ms(&r), new_end);
    assert_eq!(r["total_price"], 10000, "two started days");
    assert!(kinds_of(&app, &d.borrower)
        .await
        .contains(&"extension_accepted".to_string()));
    let events = chat_events(&app, &d.borrower, d.item).await;
    for e in ["extension_requested", "extension_accepted"] {
        assert!(events.contains(&e.to_string()), "{e} in {events:?}");
    }
    // The calendar shows the longer period.
    let (_, detail) = app.get(&format!("/items/{}", d.item), None).await;
    assert_eq!(
        egodaeyeo::clock::parse_rfc3339(detail["booked"][0]["end_at"].as_str().unwrap()).unwrap(),
        new_end
    );
    app.stop().await;
}

#[tokio::test]
async fn extension_refusals_follow_the_contract() {
    let app = TestApp::spawn_long_lived().await;
    let d = deal(&app, json!({"max_days": 3})).await;
    let end = end_ms(&rental(&app, &d.borrower, d.rental).await);
    // Only the borrower asks.
    assert_eq!(
        extend(&app, &d.lender, d.rental, end + DAY).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        extend(&app, &d.stranger, d.rental, end + DAY).await.0,
        StatusCode::FORBIDDEN
    );
    // The new end must be later; the item's max_days still holds.
    let (s, b) = extend(&app, &d.borrower, d.rental, end).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error"]["fields"]["end_at"].is_string(), "{b}");
    let (s, b) = extend(&app, &d.borrower, d.rental, end + 3 * DAY).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error"]["fields"]["max_days"].is_string(), "{b}");
    let (s, b) = app
        .post(
            &format!("/rentals/{}/extensions", d.rental),
            Some(&d.borrower.token),
            json!({"end_at": "tomorrow"}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    // Overlapping another accepted rental of the item.
    let other = app.signup("other").await;
    app.accepted_rental(&d.lender, &other, d.item, 2 * DAY + HOUR, 3 * DAY)
        .await;
    let (s, b) = extend(&app, &d.borrower, d.rental, end + 2 * HOUR).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    // A second one while one is open.
    let (s, ext) = extend(&app, &d.borrower, d.rental, end + HOUR / 2).await;
    assert_eq!(s, StatusCode::CREATED, "{ext}");
    let ext = ext["id"].as_i64().unwrap();
    assert_eq!(
        extend(&app, &d.borrower, d.rental, end + HOUR / 3).await.0,
        StatusCode::CONFLICT
    );
    // Deciding: the lender accepts or rejects, the borrower cancels.
    assert_eq!(
        decide(&app, &d.borrower, d.rental, ext, "accept").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        decide(&app, &d.borrower, d.rental, ext, "reject").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        decide(&app, &d.lender, d.rental, ext, "cancel").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        decide(&app, &d.stranger, d.rental, ext, "accept").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        decide(&app, &d.lender, d.rental, ext + 999, "accept")
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, b) = decide(&app, &d.lender, d.rental, ext, "reject").await;
    assert_eq!(
        (s, b["status"].clone()),
        (StatusCode::OK, json!("rejected"))
    );
    assert!(kinds_of(&app, &d.borrower)
        .await
        .contains(&"extension_rejected".to_string()));
    assert_eq!(
        decide(&app, &d.lender, d.rental, ext, "accept").await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(
        end_ms(&rental(&app, &d.lender, d.rental).await),
        end,
        "unchanged"
    );
    // A new one may be asked and withdrawn, up to ten requests per rental in all (two so far).
    let (_, again) = extend(&app, &d.borrower, d.rental, end + HOUR / 2).await;
    let again = again["id"].as_i64().unwrap();
    let (s, b) = decide(&app, &d.borrower, d.rental, again, "cancel").await;
    assert_eq!(
        (s, b["status"].clone()),
        (StatusCode::OK, json!("cancelled"))
    );
    for _ in 0..8 {
        let (s, e) = extend(&app, &d.borrower, d.rental, end + HOUR / 2).await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        decide(
            &app,
            &d.borrower,
            d.rental,
            e["id"].as_i64().unwrap(),
            "cancel",
        )
        .await;
    }
    let (s, b) = extend(&app, &d.borrower, d.rental, end + HOUR / 2).await;
    assert_eq!(s, StatusCode::CONFLICT, "the eleventh request: {b}");
    // Not on a rental that is only requested.
    let (s, r) = app
        .post(
            &format!("/items/{}/rentals", d.item),
            Some(&d.stranger.token),
            json!({"start_at": app.at(5 * DAY), "end_at": app.at(6 * DAY)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let requested = r["id"].as_i64().unwrap();
    assert_eq!(
        extend(
            &app,
            &d.stranger,
            requested,
            7 * DAY + app.state.clock.now_ms()
        )
        .await
        .0,
        StatusCode::CONFLICT
    );
    app.stop().await;
}

#[tokio::test]
async fn an_extension_and_a_competing_accept_of_an_overlapping_request_only_one_wins() {
    let app = TestApp::spawn_long_lived().await;
    let d = deal(&app, json!({})).await;
    let other = app.signup("other").await;
    for round in 0..5 {
        let item = app
            .create_item(&d.lender, json!({"title": format!("물건 {round}")}))
            .await["id"]
            .as_i64()
            .unwrap();
        let first = app
            .accepted_rental(&d.lender, &d.borrower, item, DAY, 2 * DAY)
            .await;
        let end = end_ms(&rental(&app, &d.borrower, first).await);
        let (s, ext) = extend(&app, &d.borrower, first, end + DAY).await;
        assert_eq!(s, StatusCode::CREATED, "{ext}");
        let (s, rival) = app
            .post(
                &format!("/items/{item}/rentals"),
                Some(&other.token),
                json!({"start_at": iso(end + HOUR), "end_at": iso(end + 2 * DAY)}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{rival}");
        let rival = rival["id"].as_i64().unwrap();
        let ext = ext["id"].as_i64().unwrap();
        let rival_path = format!("/rentals/{rival}/accept");
        let (a, b) = tokio::join!(
            decide(&app, &d.lender, first, ext, "accept"),
            app.post(&rival_path, Some(&d.lender.token), json!({}))
        );
        let mut statuses = [a.0.as_u16(), b.0.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 409], "round {round}: {a:?} {b:?}");
        let (_, detail) = app.get(&format!("/items/{item}"), None).await;
        let booked = detail["booked"].as_array().unwrap();
        // Never overlapping, whichever won.
        if booked.len() == 2 {
            let end0 =
                egodaeyeo::clock::parse_rfc3339(booked[0]["end_at"].as_str().unwrap()).unwrap();
            let start1 =
                egodaeyeo::clock::parse_rfc3339(booked[1]["start_at"].as_str().unwrap()).unwrap();
            assert!(end0 <= start1, "round {round}: {booked:?}");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unanswered_extension_expires_at_the_current_end_once_across_instances() {
    let app = TestApp::spawn_long_lived().await;
    let url = app.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            app.data_dir.join("egodaeyeo.db").display()
        )
    });
    let twin = TestApp::spawn_with(Some(url), None, long_lived).await;
    let d = deal(&app, json!({})).await;
    let end = end_ms(&rental(&app, &d.borrower, d.rental).await);
    let (_, ext) = extend(&app, &d.borrower, d.rental, end + DAY).await;
    let advance = |ms: i64| {
        app.state.clock.advance_ms(ms);
        twin.state.clock.advance_ms(ms);
    };
    advance(2 * DAY - 1000);
    scheduler::tick(&app.state).await.unwrap();
    assert_eq!(
        rental(&app, &d.borrower, d.rental).await["extensions"][0]["status"],
        "requested"
    );
    advance(1000);
    let (a, b) = tokio::join!(scheduler::tick(&app.state), scheduler::tick(&twin.state));
    a.unwrap();
    b.unwrap();
    let r = rental(&app, &d.borrower, d.rental).await;
    assert_eq!(r["extensions"][0]["status"], "expired");
    assert_eq!(end_ms(&r), end);
    let (s, _) = decide(
        &app,
        &d.lender,
        d.rental,
        ext["id"].as_i64().unwrap(),
        "accept",
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    twin.stop().await;
    app.stop().await;
}

async fn record(
    app: &TestApp,
    user: &User,
    rental: i64,
    stage: &str,
    note: &str,
    images: Vec<Vec<u8>>,
) -> (StatusCode, Value) {
    let mut form = reqwest::multipart::Form::new()
        .text("stage", stage.to_string())
        .text("note", note.to_string());
    for (i, f) in images.into_iter().enumerate() {
        form = form.part(
            "image",
            reqwest::multipart::Part::bytes(f).file_name(format!("p{i}.jpg")),
        );
    }
    let resp = app
        .client
        .post(format!("{}/rentals/{rental}/handovers", app.api))
        .bearer_auth(&user.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn confirm(app: &TestApp, user: &User, rental: i64, h: i64) -> (StatusCode, Value) {
    app.post(
        &format!("/rentals/{rental}/handovers/{h}/confirm"),
        Some(&user.token),
        json!({}),
    )
    .await
}

#[tokio::test]
async fn handover_records_carry_stripped_photos_and_the_other_party_confirms() {
    let app = TestApp::spawn_long_lived().await;
    let d = deal(&app, json!({})).await;
    let r = rental(&app, &d.borrower, d.rental).await;
    assert!(actions(&r).contains(&"handover_pickup".to_string()));
    assert!(
        !actions(&r).contains(&"handover_return".to_string()),
        "not started"
    );
    let (s, h) = record(
        &app,
        &d.borrower,
        d.rental,
        "pickup",
        "모서리에 작은 흠집이 있어요",
        vec![jpeg_with_exif(), jpeg(64, 48)],
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{h}");
    assert_eq!(h["stage"], "pickup");
    assert_eq!(h["author"]["id"], d.borrower.id);
    assert_eq!(h["note"], "모서리에 작은 흠집이 있어요");
    assert!(h["confirmed_at"].is_null());
    let images = h["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    let photo = app
        .client
        .get(images[0]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(photo.status(), StatusCode::OK);
    let bytes = photo.bytes().await.unwrap();
    assert!(!contains(&bytes, b"Exif"), "metadata removed");
    let thumb = app
        .client
        .get(images[0]["thumbnail_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(thumb.status(), StatusCode::OK);
    let h = h["id"].as_i64().unwrap();
    // One per party per stage; the other party may record theirs.
    assert_eq!(
        record(&app, &d.borrower, d.rental, "pickup", "", vec![jpeg(8, 8)])
            .await
            .0,
        StatusCode::CONFLICT
    );
    assert!(!actions(&rental(&app, &d.borrower, d.rental).await)
        .contains(&"handover_pickup".to_string()));
    let (s, mine) = record(&app, &d.lender, d.rental, "pickup", "", vec![jpeg(8, 8)]).await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    // Strangers, bad forms, and the return stage before the start.
    assert_eq!(
        record(&app, &d.stranger, d.rental, "pickup", "", vec![jpeg(8, 8)])
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    for (stage, note, n) in [("pickup", "", 0), ("pickup", "", 7), ("unboxing", "", 1)] {
        let (s, b) = record(&app, &d.lender, d.rental, stage, note, vec![jpeg(8, 8); n]).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{stage} {n}: {b}");
    }
    // Padding the form costs nothing: unknown parts are skipped unread; a named field past
    // 16 KB is refused before it is kept.
    let mut padded = reqwest::multipart::Form::new().text("stage", "pickup");
    for i in 0..200 {
        padded = padded.text(format!("pad{i}"), "x".repeat(16 * 1024));
    }
    padded = padded.text("note", "가".repeat(6000)).part(
        "image",
        reqwest::multipart::Part::bytes(jpeg(8, 8)).file_name("p.jpg"),
    );
    let resp = app
        .client
        .post(format!("{}/rentals/{}/handovers", app.api, d.rental))
        .bearer_auth(&d.lender.token)
        .multipart(padded)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let b: Value = resp.json().await.unwrap();
    assert!(b["error"]["fields"]["note"].is_string(), "{b}");
    // The buffer's own bound answered, not the note's 500-character rule after it.
    assert_eq!(b["error"]["fields"]["note"], "너무 길어요", "{b}");
    let long = "가".repeat(501);
    let (s, b) = record(&app, &d.lender, d.rental, "return", &long, vec![jpeg(8, 8)]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert!(b["error"]["fields"]["note"].is_string());
    assert_eq!(
        record(&app, &d.lender, d.rental, "return", "", vec![jpeg(8, 8)])
            .await
            .0,
        StatusCode::CONFLICT,
        "no return record before the start"
    );
    // Confirming: only the other party; twice keeps the first time.
    assert_eq!(
        confirm(&app, &d.borrower, d.rental, h).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        confirm(&app, &d.stranger, d.rental, h).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        confirm(&app, &d.lender, d.rental, h + 999).await.0,
        StatusCode::NOT_FOUND
    );
    let (s, c) = confirm(&app, &d.lender, d.rental, h).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let at = c["confirmed_at"].clone();
    assert!(at.is_string());
    app.state.clock.advance_ms(1000);
    assert_eq!(
        confirm(&app, &d.lender, d.rental, h).await.1["confirmed_at"],
        at
    );
    let r = rental(&app, &d.lender, d.rental).await;
    assert_eq!(r["handovers"].as_array().unwrap().len(), 2);
    assert_eq!(r["handovers"][0]["confirmed_at"], at);
    // The other party heard, and the chat has a line for each record.
    assert!(kinds_of(&app, &d.lender)
        .await
        .contains(&"handover_recorded".to_string()));
    let events = chat_events(&app, &d.borrower, d.item).await;
    assert_eq!(
        events.iter().filter(|e| *e == "handover_recorded").count(),
        2
    );
    // Once started, the return stage opens; after the return it stays open for 24 hours.
    app.state.clock.advance_ms(DAY + HOUR);
    let (s, b) = record(&app, &d.borrower, d.rental, "return", "", vec![jpeg(8, 8)]).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, _) = app
        .post(
            &format!("/rentals/{}/return", d.rental),
            Some(&d.lender.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        record(&app, &d.lender, d.rental, "pickup", "", vec![jpeg(8, 8)])
            .await
            .0,
        StatusCode::CONFLICT,
        "no pickup record after the return"
    );
    app.state.clock.advance_ms(23 * HOUR);
    assert!(
        actions(&rental(&app, &d.lender, d.rental).await).contains(&"handover_return".to_string())
    );
    app.state.clock.advance_ms(2 * HOUR);
    assert!(
        !actions(&rental(&app, &d.lender, d.rental).await).contains(&"handover_return".to_string())
    );
    assert_eq!(
        record(&app, &d.lender, d.rental, "return", "", vec![jpeg(8, 8)])
            .await
            .0,
        StatusCode::CONFLICT,
        "more than 24 hours after the return"
    );
    app.stop().await;
}

async fn deposit(app: &TestApp, user: &User, rental: i64, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/rentals/{rental}/deposit"),
        Some(&user.token),
        body,
    )
    .await
}

#[tokio::test]
async fn the_deposit_moves_by_the_right_party_in_the_right_state() {
    let app = TestApp::spawn_long_lived().await;
    let d = deal(&app, json!({"deposit": 30000})).await;
    let r = rental(&app, &d.borrower, d.rental).await;
    assert_eq!(
        r["deposit"],
        json!({"amount": 30000, "status": "none", "note": ""})
    );
    assert!(actions(&rental(&app, &d.lender, d.rental).await).contains(&"deposit".to_string()));
    assert!(
        !actions(&r).contains(&"deposit".to_string()),
        "nothing for the borrower yet"
    );
    let held = json!({"action": "held"});
    assert_eq!(
        deposit(&app, &d.borrower, d.rental, held.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        deposit(&app, &d.stranger, d.rental, held.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        deposit(&app, &d.lender, d.rental, json!({"action": "kept"}))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    // Nothing to give back before it was taken.
    assert_eq!(
        deposit(&app, &d.borrower, d.rental, json!({"action": "returned"}))
            .await
            .0,
        StatusCode::CONFLICT
    );
    let (s, r) = deposit(&app, &d.lender, d.rental, held.clone()).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["deposit"]["status"], "held");
    assert_eq!(r["id"], d.rental, "answers with the rental");
    assert_eq!(
        deposit(&app, &d.lender, d.rental, held.clone()).await.0,
        StatusCode::CONFLICT
    );
    assert!(kinds_of(&app, &d.borrower)
        .await
        .contains(&"deposit_updated".to_string()));
    assert!(chat_events(&app, &d.borrower, d.item)
        .await
        .contains(&"deposit_updated".to_string()));
    // Withholding waits for the return and needs a note.
    let withheld = json!({"action": "withheld", "note": "렌즈에 금이 갔어요"});
    assert_eq!(
        deposit(&app, &d.lender, d.rental, withheld.clone()).await.0,
        StatusCode::CONFLICT
    );
    // The borrower confirms getting it back; the lender cannot.
    let back = json!({"action": "returned"});
    assert_eq!(
        deposit(&app, &d.lender, d.rental, back.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, r) = deposit(&app, &d.borrower, d.rental, back.clone()).await;
    assert_eq!(
        (s, r["deposit"]["status"].clone()),
        (StatusCode::OK, json!("returned"))
    );
    assert_eq!(
        deposit(&app, &d.borrower, d.rental, back).await.0,
        StatusCode::CONFLICT
    );

    // A second rental on the same item: held, returned item, then withheld with a dispute.
    let second = app
        .accepted_rental(&d.lender, &d.borrower, d.item, 3 * DAY, 4 * DAY)
        .await;
    deposit(&app, &d.lender, second, held).await;
    app.state.clock.advance_ms(3 * DAY + HOUR);
    let (s, _) = app
        .post(
            &format!("/rentals/{second}/return"),
            Some(&d.lender.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = deposit(&app, &d.lender, second, json!({"action": "withheld"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a note is needed: {b}");
    assert!(b["error"]["fields"]["note"].is_string());
    assert_eq!(
        deposit(&app, &d.borrower, second, withheld.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, r) = deposit(&app, &d.lender, second, withheld).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["deposit"]["status"], "withheld");
    assert_eq!(r["deposit"]["note"], "렌즈에 금이 갔어요");
    assert_eq!(r["dispute"]["status"], "open");
    assert_eq!(r["dispute"]["reason"], "deposit");
    assert_eq!(r["dispute"]["opened_by"], d.lender.id);
    assert!(kinds_of(&app, &d.borrower)
        .await
        .contains(&"dispute_opened".to_string()));

    // No deposit on the item: no deposit object, every step 409.
    let plain = app
        .create_item(&d.lender, json!({"title": "보증금 없는 물건"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let none = app
        .accepted_rental(&d.lender, &d.stranger, plain, DAY, 2 * DAY)
        .await;
    assert!(rental(&app, &d.lender, none).await["deposit"].is_null());
    assert_eq!(
        deposit(&app, &d.lender, none, json!({"action": "held"}))
            .await
            .0,
        StatusCode::CONFLICT
    );
    app.stop().await;
}

async fn dispute(app: &TestApp, user: &User, rental: i64, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/rentals/{rental}/disputes"),
        Some(&user.token),
        body,
    )
    .await
}

#[tokio::test]
async fn disputes_open_in_their_window_one_at_a_time_and_admins_resolve_them() {
    let app = TestApp::spawn_long_lived().await;
    let d = deal(&app, json!({})).await;
    let admin = app.signup("admin").await;
    app.make_admin(&admin).await;
    let body = json!({"reason": "damaged", "detail": "폴대가 휘었어요"});
    // Not before the start.
    assert_eq!(
        dispute(&app, &d.borrower, d.rental, body.clone()).await.0,
        StatusCode::CONFLICT
    );
    assert!(!actions(&rental(&app, &d.borrower, d.rental).await).contains(&"dispute".to_string()));
    app.state.clock.advance_ms(DAY + HOUR);
    assert!(actions(&rental(&app, &d.borrower, d.rental).await).contains(&"dispute".to_string()));
    assert_eq!(
        dispute(&app, &d.stranger, d.rental, body.clone()).await.0,
        StatusCode::FORBIDDEN
    );
    for bad in [
        json!({"reason": "angry"}),
        json!({"reason": "other", "detail": "가".repeat(1001)}),
        json!({"detail": "이유 없이"}),
    ] {
        let (s, b) = dispute(&app, &d.borrower, d.rental, bad.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {b}");
    }
    let (s, opened) = dispute(&app, &d.lender, d.rental, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{opened}");
    assert_eq!(opened["status"], "open");
    assert_eq!(opened["reason"], "damaged");
    assert_eq!(opened["opened_by"], d.lender.id);
    assert!(opened["resolution"].is_null());
    assert_eq!(
        dispute(&app, &d.borrower, d.rental, body.clone()).await.0,
        StatusCode::CONFLICT
    );
    assert!(kinds_of(&app, &d.borrower)
        .await
        .contains(&"dispute_opened".to_string()));
    assert!(chat_events(&app, &d.borrower, d.item)
        .await
        .contains(&"dispute_opened".to_string()));
    let r = rental(&app, &d.borrower, d.rental).await;
    assert_eq!(r["dispute"]["id"], opened["id"]);
    // The admins' queue.
    assert_eq!(
        app.get("/admin/disputes", Some(&d.lender.token)).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, q) = app
        .get("/admin/disputes?status=open", Some(&admin.token))
        .await;
    assert_eq!(s, StatusCode::OK, "{q}");
    assert_eq!(q["total"], 1);
    assert_eq!(q["items"][0]["id"], opened["id"]);
    let (_, default) = app.get("/admin/disputes", Some(&admin.token)).await;
    assert_eq!(default["total"], 1, "open ones by default: {default}");
    assert_eq!(
        app.get("/admin/disputes?status=closed", Some(&admin.token))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let id = opened["id"].as_i64().unwrap();
    let path = format!("/admin/disputes/{id}/resolve");
    let resolve = |user: &User, text: &str| {
        let token = user.token.clone();
        let body = json!({"resolution": text});
        let (app, path) = (&app, path.clone());
        async move { app.post(&path, Some(&token), body).await }
    };
    assert_eq!(
        resolve(&d.lender, "제가 이겼어요").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(resolve(&admin, "  ").await.0, StatusCode::BAD_REQUEST);
    let (s, done) = resolve(&admin, "사진 기록을 확인했어요. 수리비를 나눠 내세요").await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "resolved");
    assert!(done["resolved_at"].is_string());
    assert_eq!(resolve(&admin, "다시").await.0, StatusCode::CONFLICT);
    for u in [&d.lender, &d.borrower] {
        assert!(kinds_of(&app, u)
            .await
            .contains(&"dispute_resolved".to_string()));
    }
    let (_, q) = app
        .get("/admin/disputes?status=resolved", Some(&admin.token))
        .await;
    assert_eq!(q["total"], 1);
    assert_eq!(
        rental(&app, &d.borrower, d.rental).await["dispute"]["resolution"],
        "사진 기록을 확인했어요. 수리비를 나눠 내세요"
    );
    // Resolved: another may be opened; up to 14 days after the return, not later.
    let (s, _) = app
        .post(
            &format!("/rentals/{}/return", d.rental),
            Some(&d.lender.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.state.clock.advance_ms(13 * DAY);
    let (s, b) = dispute(&app, &d.borrower, d.rental, json!({"reason": "deposit"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let other = app
        .accepted_rental(&d.lender, &d.borrower, d.item, DAY, 2 * DAY)
        .await;
    app.state.clock.advance_ms(DAY + HOUR);
    let (s, _) = app
        .post(
            &format!("/rentals/{other}/return"),
            Some(&d.lender.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.state.clock.advance_ms(14 * DAY + HOUR);
    assert_eq!(
        dispute(&app, &d.borrower, other, json!({"reason": "other"}))
            .await
            .0,
        StatusCode::CONFLICT
    );
    app.stop().await;
}

#[tokio::test]
async fn records_survive_a_block_between_the_parties() {
    let app = TestApp::spawn_long_lived().await;
    let d = deal(&app, json!({"deposit": 10000})).await;
    let (s, _) = app
        .put(
            &format!("/me/blocks/{}", d.borrower.id),
            Some(&d.lender.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = record(&app, &d.borrower, d.rental, "pickup", "", vec![jpeg(8, 8)]).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(
        deposit(&app, &d.lender, d.rental, json!({"action": "held"}))
            .await
            .0,
        StatusCode::OK
    );
    let end = end_ms(&rental(&app, &d.borrower, d.rental).await);
    assert_eq!(
        extend(&app, &d.borrower, d.rental, end + HOUR).await.0,
        StatusCode::CREATED
    );
    app.state.clock.advance_ms(DAY + HOUR);
    assert_eq!(
        dispute(&app, &d.borrower, d.rental, json!({"reason": "other"}))
            .await
            .0,
        StatusCode::CREATED
    );
    app.stop().await;
}
