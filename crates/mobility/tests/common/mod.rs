//! Generated location traces for the tests: a small seeded RNG and a walker
//! that stays, moves at a speed, halts and goes silent, recording points
//! with GPS jitter as a phone would, and knowing the true distance travelled.
#![allow(dead_code)]

use selfdata_mobility::Point;

/// SplitMix64: small, seeded, the same numbers on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-a, a].
    pub fn sym(&mut self, a: f64) -> f64 {
        (self.unit() * 2.0 - 1.0) * a
    }
}

/// Metres per degree of latitude.
const M_PER_DEG: f64 = 111_194.9;

/// A phone carried around from `start` (degrees) at UTC second `t`.
pub struct Walker {
    pub rng: Rng,
    pub t: i64,
    /// True position, degrees.
    pub lat: f64,
    pub lon: f64,
    /// Seconds between points.
    pub step_s: i64,
    /// Jitter, metres, in each axis.
    pub jitter_m: f64,
    pub points: Vec<Point>,
    /// Metres truly travelled since the last `take_travelled`.
    travelled: f64,
}

impl Walker {
    /// At La Rochelle's old harbour, 2026-03-02 (a Monday) 06:00 UTC.
    pub fn new(seed: u64) -> Walker {
        Walker::at(seed, 46.1556, -1.1520, 1_772_431_200)
    }

    pub fn at(seed: u64, lat: f64, lon: f64, t: i64) -> Walker {
        Walker {
            rng: Rng::new(seed),
            t,
            lat,
            lon,
            step_s: 15,
            jitter_m: 4.0,
            points: Vec::new(),
            travelled: 0.0,
        }
    }

    fn record(&mut self) {
        let k = self.lat.to_radians().cos();
        let lat = self.lat + self.rng.sym(self.jitter_m) / M_PER_DEG;
        let lon = self.lon + self.rng.sym(self.jitter_m) / (M_PER_DEG * k);
        self.points.push(Point {
            t: self.t,
            lat_e7: (lat * 1e7).round() as i32,
            lon_e7: (lon * 1e7).round() as i32,
            accuracy_m: Some(10),
        });
    }

    /// Stays `secs` seconds where it is, recording.
    pub fn stay(&mut self, secs: i64) {
        let end = self.t + secs;
        while self.t < end {
            self.record();
            self.t += self.step_s;
        }
    }

    /// Moves `metres` towards `bearing` (degrees, 0 = north) at `speed`
    /// m/s, recording.
    pub fn go(&mut self, bearing: f64, metres: f64, speed: f64) {
        let (n, e) = (bearing.to_radians().cos(), bearing.to_radians().sin());
        let mut left = metres;
        while left > 0.0 {
            self.record();
            let step = (speed * self.step_s as f64).min(left);
            let k = self.lat.to_radians().cos();
            self.lat += step * n / M_PER_DEG;
            self.lon += step * e / (M_PER_DEG * k);
            self.t += self.step_s;
            left -= step;
            self.travelled += step;
        }
        self.record();
    }

    /// Moves without recording anything for `secs` seconds, ending
    /// `metres` away towards `bearing` (a phone switched off on the way).
    pub fn silent(&mut self, secs: i64, bearing: f64, metres: f64) {
        let k = self.lat.to_radians().cos();
        self.lat += metres * bearing.to_radians().cos() / M_PER_DEG;
        self.lon += metres * bearing.to_radians().sin() / (M_PER_DEG * k);
        self.t += secs;
    }

    /// The metres travelled since the last call.
    pub fn take_travelled(&mut self) -> f64 {
        std::mem::take(&mut self.travelled)
    }
}

/// `got` within `pct` % of `want`.
pub fn close(got: u32, want: f64, pct: f64) -> bool {
    (f64::from(got) - want).abs() <= want * pct / 100.0
}
