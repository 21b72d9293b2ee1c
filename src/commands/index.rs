//! Dense numbers for the command table's entries, so per-command figures (INFO
//! commandstats, metric handles) live in plain vectors indexed by the spec the
//! dispatcher resolved, with no lookup by name on the request path.
//!
//! Every [`CommandSpec`] lives in a static slice: the top-level table or a
//! container's subcommand slice. A spec's number is the position of its slice's
//! range plus its offset in it, found from the spec's address, which needs no
//! change to the generated table and costs a few comparisons.

use std::collections::HashMap;

use super::CommandSpec;

/// Numbers `0..len()` for every command and subcommand of a table.
#[derive(Debug)]
pub struct CommandIndex {
    /// (address of the slice's first spec, slice length, number of the first).
    ranges: Vec<(usize, usize, usize)>,
    specs: Vec<&'static CommandSpec>,
    by_name: HashMap<&'static str, usize>,
}

fn address(spec: &CommandSpec) -> usize {
    std::ptr::from_ref(spec) as usize
}

impl CommandIndex {
    /// Numbers every spec of `table` and of its containers' subcommands.
    pub fn new(table: &'static [CommandSpec]) -> Self {
        let mut index = CommandIndex {
            ranges: Vec::new(),
            specs: Vec::new(),
            by_name: HashMap::new(),
        };
        index.add_slice(table);
        for spec in table {
            index.add_slice(spec.subcommands);
        }
        index
    }

    fn add_slice(&mut self, slice: &'static [CommandSpec]) {
        if let Some(first) = slice.first() {
            self.ranges
                .push((address(first), slice.len(), self.specs.len()));
            for spec in slice {
                self.by_name.insert(spec.name, self.specs.len());
                self.specs.push(spec);
            }
        }
    }

    /// How many specs are numbered.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// True when the table was empty.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// The number of `spec`, which must come from the indexed table (`None`
    /// otherwise).
    #[inline]
    pub fn of(&self, spec: &CommandSpec) -> Option<usize> {
        let at = address(spec);
        let size = std::mem::size_of::<CommandSpec>();
        self.ranges.iter().find_map(|&(start, len, first)| {
            let offset = at.checked_sub(start)?;
            (offset < len * size && offset % size == 0).then(|| first + offset / size)
        })
    }

    /// The number of the spec named `name` (`client|list` form).
    pub fn by_name(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The spec numbered `i`.
    pub fn spec(&self, i: usize) -> &'static CommandSpec {
        self.specs[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spec_has_its_own_number() {
        let table = super::super::all_specs();
        let index = CommandIndex::new(table);
        let mut total = 0;
        for spec in table {
            total += 1 + spec.subcommands.len();
            let i = index.of(spec).expect("numbered");
            assert!(std::ptr::eq(index.spec(i), spec));
            assert_eq!(index.by_name(spec.name), Some(i));
            for sub in spec.subcommands {
                let j = index.of(sub).expect("numbered");
                assert_eq!(index.spec(j).name, sub.name);
            }
        }
        assert_eq!(index.len(), total);
        let mut seen: Vec<usize> = (0..index.len())
            .map(|i| index.of(index.spec(i)).unwrap_or(usize::MAX))
            .collect();
        seen.dedup();
        assert_eq!(seen, (0..total).collect::<Vec<_>>());
    }
}
