//! The time server's logic: Python's `time.strftime(format)`, for the
//! directives a learner types (`%Y-%m-%d %H:%M:%S` and friends).
//!
//! The UDP time server of the tutorials receives a format and answers with
//! the local time in it. A lesson plays that server's part, so the page
//! needs strftime itself; the browser's `Date` only supplies the clock and
//! the time zone offset, and the rest is plain arithmetic, tested natively.
//! Names are those of the C locale, as Python uses by default.

/// A moment on the wall clock: the Unix time and the local zone's offset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Now {
    /// Milliseconds since the Unix epoch.
    pub unix_ms: f64,
    /// Minutes to add to UTC for local time (UTC+8 is 480).
    pub utc_offset_minutes: i32,
}

/// A local date and time, broken down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// 0 is Sunday.
    weekday: u32,
    /// 1 is January 1st.
    yearday: u32,
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `format` with each directive replaced by the time `now`, as
/// `time.strftime` does. Unknown directives are kept as written, as glibc
/// does.
pub fn strftime(format: &str, now: Now) -> String {
    let t = civil(now);
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(directive) = chars.next() else {
            out.push('%');
            break;
        };
        let hour12 = match t.hour % 12 {
            0 => 12,
            h => h,
        };
        let weekday = DAYS.get(t.weekday as usize).copied().unwrap_or("?");
        let month = MONTHS
            .get(t.month.saturating_sub(1) as usize)
            .copied()
            .unwrap_or("?");
        match directive {
            'Y' => out.push_str(&t.year.to_string()),
            'y' => out.push_str(&format!("{:02}", t.year.rem_euclid(100))),
            'm' => out.push_str(&format!("{:02}", t.month)),
            'd' => out.push_str(&format!("{:02}", t.day)),
            'H' => out.push_str(&format!("{:02}", t.hour)),
            'I' => out.push_str(&format!("{hour12:02}")),
            'M' => out.push_str(&format!("{:02}", t.minute)),
            'S' => out.push_str(&format!("{:02}", t.second)),
            'p' => out.push_str(if t.hour < 12 { "AM" } else { "PM" }),
            'j' => out.push_str(&format!("{:03}", t.yearday)),
            'a' => out.push_str(weekday.get(..3).unwrap_or(weekday)),
            'A' => out.push_str(weekday),
            'b' => out.push_str(month.get(..3).unwrap_or(month)),
            'B' => out.push_str(month),
            '%' => out.push('%'),
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    out
}

fn civil(now: Now) -> Civil {
    // Whole seconds of local time; the float holds every millisecond count
    // up to 2^53 exactly, far beyond any real clock.
    let local_s = (now.unix_ms / 1000.0).floor() as i64 + i64::from(now.utc_offset_minutes) * 60;
    let days = local_s.div_euclid(86_400);
    let in_day = local_s.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let yearday = days - days_from_civil(year, 1, 1) + 1;
    Civil {
        year,
        month,
        day,
        hour: (in_day / 3600) as u32,
        minute: (in_day % 3600 / 60) as u32,
        second: (in_day % 60) as u32,
        // 1970-01-01 was a Thursday.
        weekday: (days + 4).rem_euclid(7) as u32,
        yearday: yearday as u32,
    }
}

/// Year, month (1..=12) and day of the `days`-th day after 1970-01-01, by
/// Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The inverse: days after 1970-01-01 of a date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2021-11-13 02:06:11 UTC, a Saturday.
    const T: f64 = 1_636_769_171_000.0;

    fn at(utc_offset_minutes: i32) -> Now {
        Now {
            unix_ms: T + 250.0,
            utc_offset_minutes,
        }
    }

    #[test]
    fn the_tutorials_formats_match_python() {
        // time.strftime with TZ=UTC and TZ=Asia/Shanghai at that moment.
        assert_eq!(strftime("%Y-%m-%d %H:%M:%S", at(0)), "2021-11-13 02:06:11");
        assert_eq!(
            strftime("%Y-%m-%d %H-%M-%S", at(480)),
            "2021-11-13 10-06-11"
        );
        assert_eq!(
            strftime("%a %A %b %B %j %y %I %p %%", at(0)),
            "Sat Saturday Nov November 317 21 02 AM %"
        );
    }

    #[test]
    fn offsets_cross_midnight_and_years() {
        assert_eq!(strftime("%Y-%m-%d %H:%M", at(-180)), "2021-11-12 23:06");
        let new_year = Now {
            unix_ms: 1_704_067_199_000.0, // 2023-12-31 23:59:59 UTC
            utc_offset_minutes: 60,
        };
        assert_eq!(
            strftime("%Y-%m-%d %H:%M:%S %j %A", new_year),
            "2024-01-01 00:59:59 001 Monday"
        );
        let leap = Now {
            unix_ms: 1_709_208_000_000.0, // 2024-02-29 12:00 UTC
            utc_offset_minutes: 0,
        };
        assert_eq!(
            strftime("%d %b, day %j, %I %p", leap),
            "29 Feb, day 060, 12 PM"
        );
    }

    #[test]
    fn plain_text_and_unknown_directives_pass_through() {
        assert_eq!(strftime("time: %Q %", at(0)), "time: %Q %");
        assert_eq!(strftime("", at(0)), "");
        assert_eq!(strftime("年%Y", at(0)), "年2021");
    }

    #[test]
    fn day_numbers_round_trip() {
        for days in [-800_000, -1, 0, 59, 60, 365, 11_016, 19_782, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }
}
