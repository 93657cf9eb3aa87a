//! Lengths and coordinates as the views write them into SVG attributes and
//! CSS: to a tenth of a pixel, through integers (see
//! [`crate::model::describe::decimal`] for why not the float formatter).

use std::fmt::Write;

/// `240`, `12.5`, `-3.2`: `v` rounded to a tenth, without a trailing `.0`.
pub fn px(v: f64) -> String {
    let mut out = String::new();
    push_px(&mut out, v);
    out
}

/// [`px`] written at the end of `out`: a graph's thousands of coordinates
/// go into one string without a string of their own each.
pub fn push_px(out: &mut String, v: f64) {
    // `as` saturates: a NaN or infinite length becomes 0 or the extreme,
    // never a panic.
    let tenths = (v * 10.0).round() as i64;
    if tenths < 0 {
        out.push('-');
    }
    let tenths = tenths.unsigned_abs();
    let _ = write!(out, "{}", tenths / 10);
    if let Some(digit) = char::from_digit((tenths % 10) as u32, 10).filter(|&d| d != '0') {
        out.push('.');
        out.push(digit);
    }
}

#[cfg(test)]
mod tests {
    use super::{push_px, px};

    #[test]
    fn lengths_are_written_to_a_tenth_of_a_pixel() {
        assert_eq!(px(240.0), "240");
        assert_eq!(px(12.5), "12.5");
        assert_eq!(px(-3.24), "-3.2");
        assert_eq!(px(0.04), "0");
        assert_eq!(px(-0.04), "0");
        assert_eq!(px(1.96), "2");
        let mut points = String::from("M");
        push_px(&mut points, 80.5);
        points.push(' ');
        push_px(&mut points, -0.26);
        assert_eq!(points, "M80.5 -0.3");
    }
}
