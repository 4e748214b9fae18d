//! Read access to parsed directives.

use super::host::{from_abi, host, str_from_abi, to_abi};
use crate::abi::{MapacheConfig, MapacheDirectiveValue, MapacheModule};
use core::any::TypeId;

/// A configuration scope borrowed from the core: the server scope in `init`, or the merged view of
/// one request in `handle`.
#[derive(Clone, Copy)]
pub struct Config<'a> {
    raw: *const MapacheConfig,
    /// The module that was handed this scope and its configuration type, for
    /// [`Config::module_config`] (null and `()` outside the macro's glue).
    module: *const MapacheModule,
    config_type: TypeId,
    _life: core::marker::PhantomData<&'a MapacheConfig>,
}

/// One occurrence of a directive.
#[derive(Clone, Copy)]
pub struct DirectiveValue<'a> {
    raw: MapacheDirectiveValue,
    _life: core::marker::PhantomData<&'a MapacheConfig>,
}

impl<'a> Config<'a> {
    /// Wraps a handle received from the core.
    ///
    /// # Safety
    /// `raw` must be a live configuration handle for `'a`.
    pub unsafe fn from_raw(raw: *const MapacheConfig) -> Self {
        Config {
            raw,
            module: core::ptr::null(),
            config_type: TypeId::of::<()>(),
            _life: core::marker::PhantomData,
        }
    }

    /// The same scope seen by the module whose descriptor is `module` and whose typed
    /// configuration type has the id `config_type`.
    pub(crate) fn in_module(mut self, module: *const MapacheModule, config_type: TypeId) -> Self {
        self.module = module;
        self.config_type = config_type;
        self
    }

    /// The calling module's typed configuration for this scope (in `init`, the server
    /// level's), merged through its sections; valid as long as the scope. `None` when `T` is
    /// not the type named in the module's `config:` (or it has none). Any thread.
    pub fn module_config<T: 'static>(&self) -> Option<&'a T> {
        if self.module.is_null() || self.config_type != TypeId::of::<T>() {
            return None;
        }
        let p = (host().config_module)(self.raw, self.module) as *const T;
        // SAFETY: the macro's create/merge functions made this object as a `Box<T>` (checked
        // by the type id above); the core keeps it as long as the scope.
        unsafe { p.as_ref() }
    }

    /// The raw handle, for calls into the host table.
    pub fn as_raw(&self) -> *const MapacheConfig {
        self.raw
    }

    /// Number of occurrences of directive `name`.
    pub fn count(&self, name: &str) -> usize {
        (host().config_count)(self.raw, to_abi(name.as_bytes()))
    }

    /// Occurrence `index` (least specific first).
    pub fn get(&self, name: &str, index: usize) -> Option<DirectiveValue<'a>> {
        let mut out = MapacheDirectiveValue {
            args: core::ptr::null(),
            nargs: 0,
            file: to_abi(&[]),
            line: 0,
        };
        let found = (host().config_get)(self.raw, to_abi(name.as_bytes()), index, &mut out);
        (found == 1).then_some(DirectiveValue {
            raw: out,
            _life: core::marker::PhantomData,
        })
    }

    /// The occurrence in effect: the last, most specific one.
    pub fn last(&self, name: &str) -> Option<DirectiveValue<'a>> {
        self.count(name)
            .checked_sub(1)
            .and_then(|i| self.get(name, i))
    }

    /// Every occurrence, least specific first.
    pub fn all(&self, name: &str) -> impl Iterator<Item = DirectiveValue<'a>> + '_ {
        let name = name.to_owned();
        (0..self.count(&name)).filter_map(move |i| self.get(&name, i))
    }

    /// The first argument of the directive in effect, if any.
    pub fn value(&self, name: &str) -> Option<&'a str> {
        self.last(name).and_then(|v| v.arg(0))
    }

    /// A directive in effect parsed as a number; `Err` names the file and line of a bad value.
    pub fn number<T: core::str::FromStr>(&self, name: &str) -> Result<Option<T>, String> {
        match self.last(name) {
            None => Ok(None),
            Some(v) => {
                let text = v.arg(0).unwrap_or("");
                text.trim().parse::<T>().map(Some).map_err(|_| {
                    format!(
                        "Syntax error on line {} of {}: {} must be a number, not '{}'",
                        v.line(),
                        v.file(),
                        name,
                        text
                    )
                })
            }
        }
    }

    /// A FLAG directive in effect: `Some(true)` for `On`.
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.value(name).map(|v| v.eq_ignore_ascii_case("on"))
    }
}

impl<'a> DirectiveValue<'a> {
    /// Number of arguments.
    pub fn len(&self) -> usize {
        self.raw.nargs
    }

    /// True when the directive has no arguments.
    pub fn is_empty(&self) -> bool {
        self.raw.nargs == 0
    }

    /// Argument `i` as text (None past the end or when not UTF-8).
    pub fn arg(&self, i: usize) -> Option<&'a str> {
        self.arg_bytes(i).and_then(|b| core::str::from_utf8(b).ok())
    }

    /// Argument `i` as bytes.
    pub fn arg_bytes(&self, i: usize) -> Option<&'a [u8]> {
        if i >= self.raw.nargs {
            return None;
        }
        // SAFETY: the core promises `nargs` entries living as long as the config.
        unsafe { Some(from_abi(*self.raw.args.add(i))) }
    }

    /// All arguments as text.
    pub fn args(&self) -> Vec<&'a str> {
        (0..self.len()).filter_map(|i| self.arg(i)).collect()
    }

    /// The file the directive came from.
    pub fn file(&self) -> &'a str {
        // SAFETY: owned by the core for the config's life.
        unsafe { str_from_abi(self.raw.file) }
    }

    /// Its line number.
    pub fn line(&self) -> u32 {
        self.raw.line
    }
}
