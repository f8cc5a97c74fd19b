//! 동네 verification (api.md, Trust and safety): from the device's location, within
//! `VERIFY_RADIUS_KM` of the 동's centre, for 30 days, ended by a change of 동네; the `verified`
//! listing filter.
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{TestApp, DAY, HAEUNDAE, HAPJEONG, SEOGYO};

fn centre(app: &TestApp, code: &str) -> (f64, f64) {
    let r = app.state.regions.get(code).expect("bundled region");
    (r.lat, r.lng)
}

#[tokio::test]
async fn a_location_near_the_dong_verifies_it_for_30_days() {
    let app = TestApp::spawn().await;
    let u = app.signup("인증할이웃").await;
    let (lat, lng) = centre(&app, SEOGYO);
    let (_, me) = app.get("/me", Some(&u.token)).await;
    assert_eq!(me["region_verified"], false);
    // About 1 km north of the centre: verified.
    let (s, me) = app
        .post(
            "/me/region/verify",
            Some(&u.token),
            json!({"lat": lat + 0.009, "lng": lng}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["region_verified"], true);
    let (_, public) = app.get(&format!("/users/{}", u.id), None).await;
    assert_eq!(public["region_verified"], true);
    // 29 days on it still holds; past 30 days it does not.
    app.state.clock.advance_ms(29 * DAY);
    let (_, public) = app.get(&format!("/users/{}", u.id), None).await;
    assert_eq!(public["region_verified"], true);
    app.state.clock.advance_ms(2 * DAY);
    let (_, public) = app.get(&format!("/users/{}", u.id), None).await;
    assert_eq!(public["region_verified"], false);
    app.stop().await;
}

#[tokio::test]
async fn far_points_missing_dongs_and_bad_coordinates_are_400() {
    let app = TestApp::spawn().await;
    let u = app.signup("먼곳이웃").await;
    // Haeundae is ~325 km from Seogyo-dong: refused, with the distance in the message.
    let (lat, lng) = centre(&app, HAEUNDAE);
    let (s, b) = app
        .post(
            "/me/region/verify",
            Some(&u.token),
            json!({"lat": lat, "lng": lng}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let msg = b["error"]["fields"]["location"].as_str().unwrap();
    assert!(msg.contains("km") && msg.contains("서교동"), "{msg}");
    // Just past the 3 km default: refused too.
    let (lat, lng) = centre(&app, SEOGYO);
    let (s, _) = app
        .post(
            "/me/region/verify",
            Some(&u.token),
            json!({"lat": lat + 0.03, "lng": lng}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    for body in [
        json!({"lat": 91.0, "lng": lng}),
        json!({"lat": lat, "lng": -181.0}),
        json!({"lat": "north", "lng": lng}),
        json!({"lat": lat}),
    ] {
        let (s, b) = app.post("/me/region/verify", Some(&u.token), body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    }
    let (s, _) = app
        .post("/me/region/verify", None, json!({"lat": lat, "lng": lng}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // No 동네: nothing to verify.
    let (_, me) = app
        .patch("/me", Some(&u.token), json!({"region_code": null}))
        .await;
    assert_eq!(me["region"], serde_json::Value::Null);
    let (s, b) = app
        .post(
            "/me/region/verify",
            Some(&u.token),
            json!({"lat": lat, "lng": lng}),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["error"]["fields"]["region_code"].is_string(), "{b}");
    app.stop().await;
}

#[tokio::test]
async fn changing_the_dong_ends_the_verification_and_the_verified_filter_follows() {
    let app = TestApp::spawn().await;
    let v = app.signup("인증한이웃").await;
    let n = app.signup("안한이웃").await;
    let vi = app.create_item(&v, json!({"title": "인증 텐트"})).await["id"]
        .as_i64()
        .unwrap();
    let ni = app.create_item(&n, json!({"title": "미인증 텐트"})).await["id"]
        .as_i64()
        .unwrap();
    let (lat, lng) = centre(&app, SEOGYO);
    let (s, _) = app
        .post(
            "/me/region/verify",
            Some(&v.token),
            json!({"lat": lat, "lng": lng}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let ids = |p: &serde_json::Value| -> Vec<i64> {
        p["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    let (_, all) = app.get("/items?q=텐트", None).await;
    assert_eq!(all["total"], 2);
    let (s, only) = app.get("/items?q=텐트&verified=true", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ids(&only), vec![vi]);
    assert_eq!(only["total"], 1);
    let (_, off) = app.get("/items?q=텐트&verified=false", None).await;
    assert_eq!(off["total"], 2, "false does not filter");
    let (s, _) = app.get("/items?verified=maybe", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Patching the same 동네 keeps it; another 동네 ends it.
    let (_, me) = app
        .patch("/me", Some(&v.token), json!({"region_code": SEOGYO}))
        .await;
    assert_eq!(me["region_verified"], true);
    let (_, me) = app
        .patch("/me", Some(&v.token), json!({"region_code": HAPJEONG}))
        .await;
    assert_eq!(me["region_verified"], false);
    let (_, only) = app.get("/items?q=텐트&verified=true&page=1", None).await;
    assert_eq!(only["total"], 0);
    let _ = ni;
    app.stop().await;
}
