//! Korean administrative regions, bundled in the binary and held in memory (3,830 rows).
pub mod api;

use std::collections::HashMap;

use serde::Serialize;

const CSV: &str = include_str!("../../assets/regions-kr.csv");

/// Longest region search: Korean region names are short (the longest full name is ~20 chars).
pub const QUERY_MAX_CHARS: usize = 40;
pub const QUERY_MAX_WORDS: usize = 4;

/// 행정구역 / a Korean region: 1 시·도, 2 시·군·구, 3 읍·면·동.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Region {
    pub code: String,
    #[schema(minimum = 1, maximum = 3)]
    pub level: i64,
    pub name: String,
    pub lat: f64,
    pub lng: f64,
    /// The last part of the name (동 name for level 3), for display and prefix matching.
    #[serde(skip)]
    pub short: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RegionRef {
    pub code: String,
    pub name: String,
}

pub struct Regions {
    list: Vec<Region>,
    by_code: HashMap<String, usize>,
}

pub const MAX_RESULTS: usize = 50;

impl Regions {
    pub fn load() -> Regions {
        let mut list = Vec::with_capacity(4000);
        for line in CSV.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            if cols.len() < 8 {
                continue;
            }
            let name = cols[5].to_string();
            let short = name.rsplit(' ').next().unwrap_or(&name).to_string();
            list.push(Region {
                code: cols[0].to_string(),
                level: cols[1].parse().unwrap_or(0),
                name,
                lat: cols[6].parse().unwrap_or(0.0),
                lng: cols[7].parse().unwrap_or(0.0),
                short,
            });
        }
        let by_code = list
            .iter()
            .enumerate()
            .map(|(i, r)| (r.code.clone(), i))
            .collect();
        Regions { list, by_code }
    }

    pub fn get(&self, code: &str) -> Option<&Region> {
        self.by_code.get(code).map(|&i| &self.list[i])
    }

    pub fn reference(&self, code: Option<&str>) -> Option<RegionRef> {
        let r = self.get(code?)?;
        Some(RegionRef {
            code: r.code.clone(),
            name: r.name.clone(),
        })
    }

    /// Names matching `q` (prefix matches on the short name first, then any substring), at most 50.
    pub fn search(&self, q: Option<&str>, level: Option<i64>) -> Vec<&Region> {
        let q = q.map(|s| s.trim()).unwrap_or("");
        let words: Vec<&str> = q.split_whitespace().collect();
        let mut hits: Vec<(u8, &Region)> = self
            .list
            .iter()
            .filter(|r| level.is_none_or(|l| r.level == l))
            .filter(|r| words.iter().all(|w| r.name.contains(w)))
            .map(|r| {
                let rank = match words.last() {
                    Some(w) if r.short.starts_with(w) => 0,
                    Some(_) => 1,
                    None => 0,
                };
                (rank, r)
            })
            .collect();
        hits.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.code.cmp(&b.1.code)));
        hits.into_iter().take(MAX_RESULTS).map(|(_, r)| r).collect()
    }

    /// Level-3 regions whose centroid lies within `radius_km` of the centroid of `code`
    /// (great-circle distance), the region itself included.
    pub fn within(&self, code: &str, radius_km: f64) -> Vec<&Region> {
        let Some(center) = self.get(code) else {
            return Vec::new();
        };
        // Bounding box first: cheap, and it discards almost everything.
        let dlat = radius_km / 111.0;
        let dlng = radius_km / (111.0 * center.lat.to_radians().cos().max(0.01));
        self.list
            .iter()
            .filter(|r| r.level == 3 || r.code == center.code)
            .filter(|r| (r.lat - center.lat).abs() <= dlat && (r.lng - center.lng).abs() <= dlng)
            .filter(|r| r.code == center.code || haversine_km(center, r) <= radius_km)
            .collect()
    }
}

pub fn haversine_km(a: &Region, b: &Region) -> f64 {
    distance_km(a.lat, a.lng, b.lat, b.lng)
}

/// Great-circle distance between two points (haversine, mean Earth radius).
pub fn distance_km(lat_a: f64, lng_a: f64, lat_b: f64, lng_b: f64) -> f64 {
    let (lat1, lat2) = (lat_a.to_radians(), lat_b.to_radians());
    let dlat = lat2 - lat1;
    let dlng = (lng_b - lng_a).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_every_row_and_finds_seogyo() {
        let r = Regions::load();
        assert_eq!(r.list.len(), 3830);
        let hits = r.search(Some("서교"), Some(3));
        assert_eq!(hits[0].code, "1144066000");
    }

    #[test]
    fn radius_includes_neighbours_not_busan() {
        let r = Regions::load();
        let near = r.within("1144066000", 3.0);
        assert!(near.iter().any(|x| x.name.ends_with("합정동")));
        assert!(!near.iter().any(|x| x.code.starts_with("26")));
    }
}
