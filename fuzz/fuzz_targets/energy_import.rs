//! Fuzzes the selfdata-energy meter importers: `parse` never panics, says
//! `Unrecognised` exactly when `detect` finds no layout, agrees with `detect`
//! on the layout, and every series it returns is sorted without overlaps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfdata_energy::ImportError;
use selfdata_energy::import::{detect, parse};

fuzz_target!(|data: &[u8]| {
    let layout = detect(data);
    match parse(data) {
        Err(ImportError::Unrecognised(_)) => assert!(layout.is_none(), "detected {layout:?}"),
        Err(_) => assert!(layout.is_some()),
        Ok(parsed) => {
            assert_eq!(Some(parsed.layout), layout);
            for series in &parsed.series {
                for pair in series.readings.windows(2) {
                    assert!(pair[0].start < pair[0].end);
                    assert!(pair[0].end <= pair[1].start, "{pair:?}");
                }
            }
        }
    }
});
