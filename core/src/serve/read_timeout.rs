//! RequestReadTimeout (Apache's mod_reqtimeout): how long a request head, and then a request
//! body, may take to arrive.
//!
//! `RequestReadTimeout header=20-40,MinRate=500 body=20,MinRate=500` (the defaults): a stage
//! starts with 20 s; every MinRate bytes received add one second, up to 40 s in all (no cap when
//! there is no `-max`). `header=0` or `body=0` turns the stage off; plain `Timeout` still bounds
//! every single blocked read. Several directives (and arguments) merge, one stage each, as in
//! Apache, where Debian sets `header=` and `body=` on separate lines.

use std::time::{Duration, Instant};

/// One stage's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageTimeout {
    /// Seconds allowed at first; 0 = the stage is not timed.
    pub initial: u64,
    /// Most seconds in all, however fast data arrives; 0 = no cap.
    pub max: u64,
    /// Bytes per second that earn one more second; 0 = never extended.
    pub min_rate: u64,
}

impl StageTimeout {
    const OFF: StageTimeout = StageTimeout {
        initial: 0,
        max: 0,
        min_rate: 0,
    };

    /// Whether the stage is timed at all.
    pub fn enabled(&self) -> bool {
        self.initial > 0
    }

    /// When a stage that began at `started` and has received `bytes` so far expires; `None` when
    /// the stage is off.
    pub fn deadline(&self, started: Instant, bytes: u64) -> Option<Instant> {
        if !self.enabled() {
            return None;
        }
        let mut allowed = Duration::from_secs(self.initial);
        // One second per MinRate bytes, in microseconds so a trickle still counts.
        if let Some(earned) = bytes.saturating_mul(1_000_000).checked_div(self.min_rate) {
            allowed = allowed.saturating_add(Duration::from_micros(earned));
            if self.max > 0 {
                allowed = allowed.min(Duration::from_secs(self.max));
            }
        }
        started.checked_add(allowed)
    }

    /// Parses one stage's value, `timeout[-maxtimeout][,MinRate=rate]`, with Apache's rules.
    fn parse(value: &str) -> Result<StageTimeout, String> {
        let lower = value.to_ascii_lowercase();
        let mut stage = StageTimeout::OFF;
        let times = match lower.find(",minrate=") {
            Some(at) => {
                let rate = &value[at + ",minrate=".len()..];
                stage.min_rate = parse_number(rate)?;
                if stage.min_rate == 0 {
                    return Err("Minimum data rate must be larger than 0".to_owned());
                }
                &value[..at]
            }
            None => {
                if value.contains('-') {
                    return Err("Must set MinRate option if using timeout range".to_owned());
                }
                value
            }
        };
        match times.split_once('-') {
            Some((initial, max)) => {
                stage.initial = parse_number(initial)?;
                stage.max = parse_number(max)?;
                if stage.max > 0 && stage.initial >= stage.max {
                    return Err("Maximum timeout must be larger than initial timeout".to_owned());
                }
            }
            None => stage.initial = parse_number(times)?,
        }
        Ok(stage)
    }
}

fn parse_number(s: &str) -> Result<u64, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("Value '{s}' is not a non-negative whole number"));
    }
    s.parse::<u64>()
        .map_err(|_| format!("Value '{s}' is too large"))
}

/// The header and body stages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestReadTimeout {
    /// From the first byte wait of a request (a new connection, or the first byte of a request on
    /// a kept-alive one) until its head is complete.
    pub header: StageTimeout,
    /// From the first read of a request body until its end.
    pub body: StageTimeout,
}

impl Default for RequestReadTimeout {
    /// `header=20-40,MinRate=500 body=20,MinRate=500`.
    fn default() -> Self {
        RequestReadTimeout {
            header: StageTimeout {
                initial: 20,
                max: 40,
                min_rate: 500,
            },
            body: StageTimeout {
                initial: 20,
                max: 0,
                min_rate: 500,
            },
        }
    }
}

impl RequestReadTimeout {
    /// Applies one directive's arguments (`stage=value` each) on top of what is set.
    pub fn apply(&mut self, args: &[String]) -> Result<(), String> {
        for arg in args {
            let Some((key, value)) = arg.split_once('=') else {
                return Err(format!(
                    "RequestReadTimeout: invalid parameter '{arg}': parameters must be in the form 'header=…' or 'body=…'"
                ));
            };
            let stage = StageTimeout::parse(value)
                .map_err(|e| format!("RequestReadTimeout: {key}={value}: {e}"))?;
            match key.to_ascii_lowercase().as_str() {
                "header" => self.header = stage,
                "body" => self.body = stage,
                // TLS handshakes are not ours to time (no TLS in the core): accepted, so that
                // Apache configurations carry over, and ignored.
                "handshake" => {}
                _ => {
                    return Err(format!(
                        "RequestReadTimeout: {key}={value}: Unknown RequestReadTimeout parameter (use header= or body=)"
                    ))
                }
            }
        }
        Ok(())
    }

    /// The settings of every occurrence, in order, over the defaults.
    pub fn from_occurrences<'a>(all: impl Iterator<Item = &'a [String]>) -> Result<Self, String> {
        let mut t = RequestReadTimeout::default();
        for args in all {
            t.apply(args)?;
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<RequestReadTimeout, String> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        RequestReadTimeout::from_occurrences(std::iter::once(args.as_slice()))
    }

    #[test]
    fn defaults_are_apaches() {
        let d = RequestReadTimeout::default();
        assert_eq!(
            (d.header.initial, d.header.max, d.header.min_rate),
            (20, 40, 500)
        );
        assert_eq!((d.body.initial, d.body.max, d.body.min_rate), (20, 0, 500));
    }

    #[test]
    fn stages_parse_and_merge() {
        let t = parse(&["header=1-2,MinRate=500", "body=3"]).unwrap();
        assert_eq!(
            t.header,
            StageTimeout {
                initial: 1,
                max: 2,
                min_rate: 500
            }
        );
        assert_eq!(
            t.body,
            StageTimeout {
                initial: 3,
                max: 0,
                min_rate: 0
            }
        );
        let t = parse(&["HEADER=0", "handshake=5"]).unwrap();
        assert!(!t.header.enabled());
        assert!(t.body.enabled(), "body keeps its default");
        let a: Vec<String> = vec!["header=5,minrate=100".into()];
        let b: Vec<String> = vec!["body=7,MinRate=1".into()];
        let t =
            RequestReadTimeout::from_occurrences([a.as_slice(), b.as_slice()].into_iter()).unwrap();
        assert_eq!((t.header.initial, t.body.initial), (5, 7));
    }

    #[test]
    fn bad_values_say_why() {
        let cases = [
            ("header", "must be in the form"),
            ("header=x", "not a non-negative whole number"),
            ("header=-5", "Must set MinRate"),
            ("header=10-20", "Must set MinRate"),
            ("header=20-10,MinRate=5", "Maximum timeout must be larger"),
            ("header=10,MinRate=0", "larger than 0"),
            ("header=10,MinRate=", "not a non-negative"),
            ("foo=10", "Unknown RequestReadTimeout parameter"),
        ];
        for (arg, needle) in cases {
            let e = parse(&[arg]).unwrap_err();
            assert!(e.contains(needle), "{arg}: {e}");
            assert!(e.starts_with("RequestReadTimeout: "), "{arg}: {e}");
        }
    }

    #[test]
    fn deadline_extends_with_rate_up_to_max() {
        let s = StageTimeout {
            initial: 20,
            max: 40,
            min_rate: 500,
        };
        let t0 = Instant::now();
        assert_eq!(s.deadline(t0, 0), Some(t0 + Duration::from_secs(20)));
        assert_eq!(s.deadline(t0, 500), Some(t0 + Duration::from_secs(21)));
        assert_eq!(
            s.deadline(t0, 250),
            Some(t0 + Duration::from_millis(20_500))
        );
        assert_eq!(
            s.deadline(t0, 1_000_000),
            Some(t0 + Duration::from_secs(40))
        );
        let uncapped = StageTimeout { max: 0, ..s };
        assert_eq!(
            uncapped.deadline(t0, 50_000),
            Some(t0 + Duration::from_secs(120))
        );
        let fixed = StageTimeout {
            initial: 5,
            max: 0,
            min_rate: 0,
        };
        assert_eq!(
            fixed.deadline(t0, 1 << 40),
            Some(t0 + Duration::from_secs(5))
        );
        assert_eq!(StageTimeout::OFF.deadline(t0, 0), None);
    }
}
