//! Modules' typed configuration (ABI 1.4 `create_config`, `set_directive`, `merge_config`):
//! objects made and filled while the configuration is read, so a bad value fails `-t` with its
//! file and line, and merged once per combination of sections (see `scope.rs`).

use crate::config::store::{Section, SectionKind};
use crate::loader::{module_calls, LoadedModule};
use mapache_plugin_api::abi::{self, MapacheStr};
use std::ffi::c_void;
use std::ptr::NonNull;

/// The scope an object is made for, as [`abi::MapacheSection`] tells the module (ABI 1.6).
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// `MAPACHE_SECTION_*`.
    pub kind: u32,
    /// The section's path or pattern (empty for the server levels and `<If>`).
    pub path: String,
    /// Whether `path` is a pattern.
    pub is_regex: bool,
    /// The nearest plain `<Directory>` or `.htaccess` directory, itself included.
    pub directory: String,
}

impl Place {
    /// The main server's level.
    pub fn server() -> Place {
        Place::default()
    }

    /// Section `index` of `sections`, from its kind, pattern and parents.
    pub fn of(sections: &[Section], index: usize) -> Place {
        let section = &sections[index];
        let mut directory = String::new();
        let mut at = Some(index);
        while let Some(i) = at {
            let s = &sections[i];
            if s.kind == SectionKind::Directory && s.pattern.is_none() {
                directory = s.path.clone();
                break;
            }
            at = s.parent;
        }
        Place {
            directory,
            ..Place::section(section)
        }
    }

    /// What `section` itself says: its kind, path and whether that is a pattern.
    fn section(section: &Section) -> Place {
        Place {
            kind: kind(section.kind),
            path: match section.kind {
                SectionKind::If | SectionKind::VirtualHost => String::new(),
                _ => section.path.clone(),
            },
            is_regex: section.pattern.is_some(),
            directory: String::new(),
        }
    }

    /// A `.htaccess` file of directory `dir` (`inner`: a section inside it).
    pub fn htaccess(dir: &str, inner: Option<&Section>) -> Place {
        let own = match inner {
            None => Place {
                kind: abi::MAPACHE_SECTION_HTACCESS,
                path: dir.to_owned(),
                ..Place::default()
            },
            Some(s) => Place::section(s),
        };
        Place {
            directory: dir.to_owned(),
            ..own
        }
    }

    fn scope(&self) -> u32 {
        match self.kind {
            abi::MAPACHE_SECTION_SERVER | abi::MAPACHE_SECTION_VIRTUALHOST => {
                abi::MAPACHE_SCOPE_SERVER
            }
            _ => abi::MAPACHE_SCOPE_SECTION,
        }
    }
}

fn kind(kind: SectionKind) -> u32 {
    match kind {
        SectionKind::VirtualHost => abi::MAPACHE_SECTION_VIRTUALHOST,
        SectionKind::Directory => abi::MAPACHE_SECTION_DIRECTORY,
        SectionKind::Location => abi::MAPACHE_SECTION_LOCATION,
        SectionKind::Files => abi::MAPACHE_SECTION_FILES,
        SectionKind::If => abi::MAPACHE_SECTION_IF,
    }
}

/// Feeds one occurrence of `module`'s directive `name` to the object of its scope (`section`,
/// at `place`, or the server level), making the object first when needed.
pub fn set_directive(
    module: &mut LoadedModule,
    section: Option<(usize, Place)>,
    name: &str,
    args: &[String],
) -> Result<(), String> {
    let Some(set) = module.desc.set_directive else {
        return Ok(());
    };
    let (object, scope) = match section {
        None => {
            ensure_server(module);
            (module.configs.server, abi::MAPACHE_SCOPE_SERVER)
        }
        Some((i, place)) => {
            let scope = place.scope();
            match module.configs.sections.iter().find(|(s, _)| *s == i) {
                Some((_, o)) => (Some(*o), scope),
                None => {
                    let made = create(module, &place);
                    if let Some(o) = made {
                        module.configs.sections.push((i, o));
                    }
                    (made, scope)
                }
            }
        }
    };
    let object = object.map_or(std::ptr::null_mut(), NonNull::as_ptr);
    let abi_args = module_calls::abi_args(args);
    module_calls::call_with_error(|err, cap| {
        set(
            object,
            scope,
            text(name.as_bytes()),
            abi_args.as_ptr(),
            abi_args.len(),
            err,
            cap,
        )
    })
    .map_err(|line| {
        line.unwrap_or_else(|| {
            format!(
                "{name}: invalid value (module {} gave no reason)",
                module.symbol
            )
        })
    })
}

/// Feeds one directive of a `.htaccess` file (at `place`) to `object` (made first when
/// `None`), as a section's; the object made, if one was.
pub fn set_in(
    module: &LoadedModule,
    object: Option<NonNull<c_void>>,
    place: &Place,
    name: &str,
    args: &[String],
) -> Result<Option<NonNull<c_void>>, String> {
    let Some(set) = module.desc.set_directive else {
        return Ok(None);
    };
    let made = match object {
        Some(_) => None,
        None => create(module, place),
    };
    let target = object
        .or(made)
        .map_or(std::ptr::null_mut(), NonNull::as_ptr);
    let abi_args = module_calls::abi_args(args);
    module_calls::call_with_error(|err, cap| {
        set(
            target,
            abi::MAPACHE_SCOPE_SECTION,
            text(name.as_bytes()),
            abi_args.as_ptr(),
            abi_args.len(),
            err,
            cap,
        )
    })
    .map_err(|line| {
        if let (Some(o), Some(free)) = (made, module.desc.free_config) {
            free(o.as_ptr());
        }
        line.unwrap_or_else(|| {
            format!(
                "{name}: invalid value (module {} gave no reason)",
                module.symbol
            )
        })
    })?;
    Ok(made)
}

/// Makes the module's server-level object if it has typed configuration and none yet.
pub fn ensure_server(module: &mut LoadedModule) {
    if module.configs.server.is_none() {
        module.configs.server = create(module, &Place::server());
    }
}

/// The module's new object for `place`: `create_section_config` (ABI 1.6) when it has one,
/// else `create_config` with the scope.
fn create(module: &LoadedModule, place: &Place) -> Option<NonNull<c_void>> {
    if let Some(create) = module.desc.create_section_config {
        let section = abi::MapacheSection {
            struct_size: std::mem::size_of::<abi::MapacheSection>() as u32,
            kind: place.kind,
            is_regex: u32::from(place.is_regex),
            reserved: 0,
            path: text(place.path.as_bytes()),
            directory: text(place.directory.as_bytes()),
        };
        return NonNull::new(create(&section));
    }
    NonNull::new(module.desc.create_config?(place.scope()))
}

/// The module's object for `parent` merged with `child`: the module's merge, or the child as
/// it is when the module has none. The second value says whether the result is a new object
/// (which `free_config` may free).
pub fn merge(
    module: &LoadedModule,
    parent: *const c_void,
    child: *const c_void,
) -> (*const c_void, bool) {
    match module.desc.merge_config {
        Some(merge) if !parent.is_null() => (merge(parent, child) as *const c_void, true),
        _ => (child, false),
    }
}

fn text(b: &[u8]) -> MapacheStr {
    MapacheStr {
        ptr: b.as_ptr(),
        len: b.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_section_names_its_kind_path_and_directory() {
        let mut dir = Section::new(SectionKind::Directory, "Directory", "/srv/www".into());
        dir.parent = None;
        let mut files = Section::new(SectionKind::Files, "Files", "*.php".into());
        files.parent = Some(0);
        let location = Section::new(SectionKind::Location, "Location", "/api".into());
        let sections = vec![dir, files, location];

        let d = Place::of(&sections, 0);
        assert_eq!(
            (d.kind, d.path.as_str(), d.directory.as_str()),
            (abi::MAPACHE_SECTION_DIRECTORY, "/srv/www", "/srv/www")
        );
        let f = Place::of(&sections, 1);
        assert_eq!(
            (f.kind, f.path.as_str(), f.directory.as_str()),
            (abi::MAPACHE_SECTION_FILES, "*.php", "/srv/www")
        );
        let l = Place::of(&sections, 2);
        assert_eq!(
            (l.kind, l.path.as_str(), l.directory.as_str()),
            (abi::MAPACHE_SECTION_LOCATION, "/api", "")
        );
        assert_eq!(l.scope(), abi::MAPACHE_SCOPE_SECTION);
        assert_eq!(Place::server().scope(), abi::MAPACHE_SCOPE_SERVER);

        let h = Place::htaccess("/srv/www/blog", None);
        assert_eq!(
            (h.kind, h.path.as_str(), h.directory.as_str()),
            (
                abi::MAPACHE_SECTION_HTACCESS,
                "/srv/www/blog",
                "/srv/www/blog"
            )
        );
    }
}
