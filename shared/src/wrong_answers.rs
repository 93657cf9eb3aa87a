//! Tables of damaged JSON and the error each must give, for the decoders'
//! tests: every case is read, and a failing table lists all its wrong
//! answers at once rather than stopping at the first.

use std::fmt::Debug;

use serde::de::DeserializeOwned;

/// The error reading `json` as a `T` gives; a panic if it reads.
pub fn read_error<T: DeserializeOwned + Debug>(json: &str) -> String {
    match serde_json::from_str::<T>(json) {
        Ok(value) => panic!("{json} read as {value:?}"),
        Err(error) => error.to_string(),
    }
}

/// The cases of `(json, expected error)` that read as `T` with another
/// error, each with what was expected and what was found.
pub fn wrong_answers<T: DeserializeOwned + Debug>(
    cases: &[(impl AsRef<str>, &str)],
) -> Vec<String> {
    cases
        .iter()
        .filter_map(|(json, expected)| {
            let json = json.as_ref();
            let found = read_error::<T>(json);
            (found != *expected)
                .then(|| format!("{json}\n  expected: {expected}\n  found:    {found}"))
        })
        .collect()
}
