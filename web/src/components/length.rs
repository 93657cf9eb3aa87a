//! Lengths and coordinates as the views write them into SVG attributes and
//! CSS: to a tenth of a pixel, through integers (see
//! [`crate::model::describe::decimal`] for why not the float formatter).

use crate::model::describe::decimal;

/// `240`, `12.5`, `-3.2`: `v` rounded to a tenth, without a trailing `.0`.
pub fn px(v: f64) -> String {
    // `as` saturates: a NaN or infinite length becomes 0 or the extreme,
    // never a panic.
    let tenths = (v * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let tenths = tenths.unsigned_abs();
    if tenths % 10 == 0 {
        format!("{sign}{}", tenths / 10)
    } else {
        format!("{sign}{}", decimal(tenths, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::px;

    #[test]
    fn lengths_are_written_to_a_tenth_of_a_pixel() {
        assert_eq!(px(240.0), "240");
        assert_eq!(px(12.5), "12.5");
        assert_eq!(px(-3.24), "-3.2");
        assert_eq!(px(0.04), "0");
        assert_eq!(px(-0.04), "0");
        assert_eq!(px(1.96), "2");
    }
}
