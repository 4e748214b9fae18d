//! `DeflateFilterNote` / `BrotliFilterNote`: the request notes a compressed response leaves for
//! the access log (`%{name}n`), as Apache writes them: the body's bytes in, the compressed
//! bytes out, and out × 100 / in as a whole number.

use mapache_plugin_api::sdk::Request;

/// The note names one scope sets; `None` where it sets none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterNotes {
    /// `… Input name`.
    pub input: Option<String>,
    /// `… Output name`.
    pub output: Option<String>,
    /// `… Ratio name`, or the one-argument form.
    pub ratio: Option<String>,
}

impl FilterNotes {
    /// Applies one `DeflateFilterNote [type] name` line (`directive` names it in errors).
    pub fn set(&mut self, directive: &str, args: &[&str]) -> Result<(), String> {
        let (kind, name) = match args {
            [name] => ("ratio", *name),
            [kind, name] => (*kind, *name),
            _ => return Err(format!("{directive} takes 1-2 arguments")),
        };
        let slot = match kind.to_ascii_lowercase().as_str() {
            "input" => &mut self.input,
            "output" => &mut self.output,
            "ratio" => &mut self.ratio,
            _ => return Err(format!("{directive}: Unknown note type {kind}")),
        };
        *slot = Some(name.to_owned());
        Ok(())
    }

    /// The child's names where it sets them, the parent's otherwise.
    pub fn merge(parent: &Self, child: &Self) -> Self {
        FilterNotes {
            input: child.input.clone().or_else(|| parent.input.clone()),
            output: child.output.clone().or_else(|| parent.output.clone()),
            ratio: child.ratio.clone().or_else(|| parent.ratio.clone()),
        }
    }

    /// Writes the notes for a body of `bytes_in` compressed into `bytes_out`.
    pub fn write(&self, req: &mut Request<'_>, bytes_in: u64, bytes_out: u64) {
        let ratio = match bytes_in {
            0 => "-".to_owned(),
            n => (bytes_out * 100 / n).to_string(),
        };
        for (name, value) in [
            (&self.input, bytes_in.to_string()),
            (&self.output, bytes_out.to_string()),
            (&self.ratio, ratio),
        ] {
            if let Some(name) = name {
                // Refused only outside a request's life, which a filter call never is.
                let _ = req.set_note(name, &value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_argument_names_the_ratio_and_types_are_apaches() {
        let mut n = FilterNotes::default();
        n.set("DeflateFilterNote", &["r"]).unwrap();
        n.set("DeflateFilterNote", &["Input", "in"]).unwrap();
        n.set("DeflateFilterNote", &["OUTPUT", "out"]).unwrap();
        assert_eq!(n.ratio.as_deref(), Some("r"));
        assert_eq!(n.input.as_deref(), Some("in"));
        assert_eq!(n.output.as_deref(), Some("out"));
        let err = n.set("DeflateFilterNote", &["Size", "s"]).unwrap_err();
        assert_eq!(err, "DeflateFilterNote: Unknown note type Size");
    }
}
