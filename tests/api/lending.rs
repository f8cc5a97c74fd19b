//! The lender's page `/me/lending` (빌려준 물건 달력): every rental the signed-in user lends on a
//! two-month calendar and a 12-month chart; nobody else's; anonymous visitors go to the login.
use reqwest::StatusCode;
use serde_json::{json, Value};

use egodaeyeo::rentals::service::YearMonth;

use crate::common::{TestApp, User, DAY, HOUR, PASSWORD};

/// The page as the user's browser gets it (access cookie, no redirect followed).
async fn page(app: &TestApp, user: Option<&User>, query: &str) -> (StatusCode, String, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client.get(format!("{}/me/lending{query}", app.addr));
    if let Some(u) = user {
        req = req.header(reqwest::header::COOKIE, format!("egd_access={}", u.token));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location, resp.text().await.unwrap())
}

async fn request(app: &TestApp, who: &User, item: i64, from: i64, len: i64) -> i64 {
    let (s, b) = app
        .post(
            &format!("/items/{item}/rentals"),
            Some(&who.token),
            json!({"start_at": app.at(from), "end_at": app.at(from + len)}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_i64().unwrap()
}

async fn decide(app: &TestApp, who: &User, rental: i64, action: &str) {
    let (s, b) = app
        .post(
            &format!("/rentals/{rental}/{action}"),
            Some(&who.token),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{action}: {b}");
}

/// The calendar's data as the page embeds it for `static/calendar.js`.
fn calendar_data(html: &str) -> Value {
    let open = r#"<script type="application/json" id="lending-data">"#;
    let start = html.find(open).expect("calendar data") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

/// Keeps every period of the test inside the current Korean month (the chart's last one): when
/// the month ends within a few days, the clock moves to the start of the next one first.
fn settle_in_a_month(app: &TestApp) {
    let now = app.state.clock.now_ms();
    let this = YearMonth::of(now);
    if YearMonth::of(now + 4 * DAY) != this {
        app.state
            .clock
            .advance_ms(this.plus(1).start_ms() + HOUR - now);
    }
}

#[tokio::test]
async fn the_lender_sees_every_rental_they_lend_on_the_calendar_and_the_chart() {
    let app = TestApp::spawn().await;
    settle_in_a_month(&app);
    let lender = app.signup("달력주인").await;
    let other = app.signup("다른주인").await;
    let borrower = app.signup("달력빌림").await;
    let second = app.signup("두번째빌림").await;
    let drill = app
        .create_item(&lender, json!({"title": "<b>드릴</b> & 비트"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let tent = app
        .create_item(&lender, json!({"title": "텐트", "price": 12000}))
        .await["id"]
        .as_i64()
        .unwrap();
    let ladder = app.create_item(&other, json!({"title": "사다리"})).await["id"]
        .as_i64()
        .unwrap();

    // Accepted: 2 days of 5,000원 = 10,000원 of income this month.
    let accepted = request(&app, &borrower, drill, HOUR, 2 * DAY).await;
    decide(&app, &lender, accepted, "accept").await;
    // Rejected: on the calendar, not in the income.
    let rejected = request(&app, &second, tent, 2 * DAY, DAY).await;
    decide(&app, &lender, rejected, "reject").await;
    // Requested, still open.
    let open = request(&app, &second, drill, 3 * DAY, DAY).await;
    // Someone else's rental, and one the lender borrows: not on the lender's page.
    let others = request(&app, &borrower, ladder, HOUR, DAY).await;
    let borrowed = request(&app, &lender, ladder, 2 * DAY, DAY).await;

    let (s, _, html) = page(&app, Some(&lender), "").await;
    assert_eq!(s, StatusCode::OK);
    for id in [accepted, rejected, open] {
        assert!(
            html.contains(&format!("href=\"/rentals/{id}\"")),
            "rental {id} linked"
        );
    }
    for id in [others, borrowed] {
        assert!(
            !html.contains(&format!("/rentals/{id}\"")),
            "rental {id} is not the lender's to see here"
        );
    }
    // The states, in the words of the rest of the site, with the legend.
    for word in ["대여 예정", "거절됨", "요청 중", "반납 지연"] {
        assert!(html.contains(word), "{word}");
    }
    // The calendar's data: the lender's three rentals, coloured by state, nothing that could close
    // the script element (an item title with markup).
    let data = calendar_data(&html);
    let events = data["events"].as_array().unwrap();
    let tones: Vec<(i64, &str)> = events
        .iter()
        .map(|e| (e["id"].as_i64().unwrap(), e["tone"].as_str().unwrap()))
        .collect();
    assert_eq!(
        tones,
        vec![
            (accepted, "upcoming"),
            (rejected, "closed"),
            (open, "requested")
        ]
    );
    assert_eq!(events[0]["title"], "<b>드릴</b> & 비트");
    assert_eq!(events[0]["href"], format!("/rentals/{accepted}"));
    assert!(!html.contains("<b>드릴"), "titles are escaped in the page");
    let this = YearMonth::of(app.state.clock.now_ms());
    assert_eq!(data["first"], this.key());
    assert_eq!(
        data["next"],
        format!("/me/lending?month={}", this.plus(1).key())
    );
    // The chart: an accessible image, and a table of the figures where this month (the last
    // row) has 1 rental, 10,000원 and 3 requests.
    assert!(html.contains(r#"<svg class="chart""#) && html.contains(r#"role="img""#));
    assert!(html.contains("<title id=\"chart-title\">"));
    let svg = &html[html.find(r#"<svg class="chart""#).unwrap()..];
    let svg = &svg[..svg.find("</svg>").unwrap()];
    assert_eq!(svg.matches("<circle").count(), 12, "one point per month");
    assert_eq!(svg.matches("<rect").count(), 1, "one month with a rental");
    let rows = &html[html.find("<tbody>").unwrap()..html.find("</tbody>").unwrap()];
    assert_eq!(rows.matches("<tr>").count(), 12);
    let last = rows.rsplit("<tr>").next().unwrap();
    assert!(
        last.contains(&format!("{}년 {}월", this.year, this.month))
            && last.contains("<td>1건</td><td>10,000원</td><td>3건</td>"),
        "{last}"
    );

    // The other lender sees their own two, none of these.
    let (s, _, html) = page(&app, Some(&other), "").await;
    assert_eq!(s, StatusCode::OK);
    for id in [others, borrowed] {
        assert!(html.contains(&format!("href=\"/rentals/{id}\"")));
    }
    for id in [accepted, rejected, open] {
        assert!(!html.contains(&format!("/rentals/{id}\"")));
    }
    // A borrower who lends nothing gets the empty page, not an error.
    let (s, _, html) = page(&app, Some(&borrower), "").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("이 기간에는 빌려준 물건이 없어요"));
    assert!(!html.contains("/rentals/"));
    app.stop().await;
}

#[tokio::test]
async fn the_calendar_moves_by_month_and_time_moves_rentals_on() {
    let app = TestApp::spawn().await;
    settle_in_a_month(&app);
    let lender = app.signup("달넘김주인").await;
    let borrower = app.signup("달넘김빌림").await;
    let item = app.create_item(&lender, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let rental = request(&app, &borrower, item, HOUR, DAY).await;
    decide(&app, &lender, rental, "accept").await;
    let this = YearMonth::of(app.state.clock.now_ms());

    // Two months later the rental is out of the window; back to its month, it is there.
    let later = format!("?month={}", this.plus(2).key());
    let (s, _, html) = page(&app, Some(&lender), &later).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!html.contains(&format!("/rentals/{rental}\"")));
    assert_eq!(calendar_data(&html)["first"], this.plus(2).key());
    assert!(html.contains("이번 달로 돌아가기"));
    let before = format!("?month={}", this.plus(-1).key());
    let (_, _, html) = page(&app, Some(&lender), &before).await;
    assert!(
        html.contains(&format!("href=\"/rentals/{rental}\"")),
        "the month before shows the next one too"
    );
    // A month the page cannot read shows the current one.
    for bad in ["?month=2025-13", "?month=soon", "?month=1999-01"] {
        let (s, _, html) = page(&app, Some(&lender), bad).await;
        assert_eq!(s, StatusCode::OK, "{bad}");
        assert_eq!(calendar_data(&html)["first"], this.key(), "{bad}");
    }

    // Past its end and not returned, the rental is overdue on the calendar.
    app.state.clock.advance_ms(DAY + 2 * HOUR);
    let (s, b) = app
        .post(
            "/auth/login",
            None,
            json!({"email": lender.email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let lender = User {
        token: b["access_token"].as_str().unwrap().to_string(),
        ..lender
    };
    let (_, _, html) = page(&app, Some(&lender), &format!("?month={}", this.key())).await;
    let data = calendar_data(&html);
    assert_eq!(data["events"][0]["tone"], "overdue");
    assert_eq!(data["events"][0]["label"], "반납 지연");
    app.stop().await;
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_the_login() {
    let app = TestApp::spawn().await;
    let (s, location, _) = page(&app, None, "?month=2025-03").await;
    assert!(s.is_redirection(), "{s}");
    assert!(location.starts_with("/login?next="), "{location}");
    assert!(location.contains("lending"), "comes back here: {location}");
    // The link from my page.
    let u = app.signup("링크확인").await;
    let html = reqwest::Client::new()
        .get(format!("{}/me", app.addr))
        .header(reqwest::header::COOKIE, format!("egd_access={}", u.token))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("href=\"/me/lending\""));
    app.stop().await;
}
