//! A term's postings, compressed: the gaps between document numbers and the quantised
//! weighted frequencies as variable-length integers (one byte each for most postings), with a
//! skip entry every [`SKIP`] postings so that one document can be looked up without reading
//! the whole list. A million ideas hold over a hundred million postings: at two to three bytes
//! each instead of eight, the index stays well under a gibibyte.

/// A weighted frequency is stored in units of this size: every field and part weight is a
/// multiple of it.
const FREQUENCY_UNIT: f32 = 0.05;
/// Postings between two skip entries.
const SKIP: u32 = 32;

/// The documents holding one term, in increasing order, with the term's weighted frequency.
#[derive(Debug, Default, Clone)]
pub struct Postings {
    /// For each posting: the gap from the previous document, then the frequency in units.
    bytes: Vec<u8>,
    /// For every [`SKIP`]-th posting: its document and the offset of its entry in `bytes`.
    skips: Vec<(u32, u32)>,
    last: u32,
    len: u32,
}

fn write(bytes: &mut Vec<u8>, mut value: u32) {
    while value >= 0x80 {
        bytes.push((value as u8) | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

#[inline]
fn read(bytes: &[u8], at: &mut usize) -> u32 {
    let mut value = 0u32;
    let mut shift = 0;
    loop {
        let byte = bytes[*at];
        *at += 1;
        value |= u32::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return value;
        }
        shift += 7;
    }
}

fn frequency(units: u32) -> f32 {
    units as f32 * FREQUENCY_UNIT
}

impl Postings {
    /// No documents.
    pub const EMPTY: Postings = Postings {
        bytes: Vec::new(),
        skips: Vec::new(),
        last: 0,
        len: 0,
    };

    /// Appends `doc`, which must follow every document already in the list.
    pub fn push(&mut self, doc: u32, weight: f32) {
        debug_assert!(
            self.len == 0 || doc > self.last,
            "documents are added in order"
        );
        if self.len.is_multiple_of(SKIP) {
            let offset = u32::try_from(self.bytes.len()).expect("postings under 4 GiB");
            self.skips.push((doc, offset));
        }
        let units = (weight / FREQUENCY_UNIT)
            .round()
            .clamp(1.0, u32::MAX as f32) as u32;
        write(
            &mut self.bytes,
            doc - if self.len == 0 { 0 } else { self.last },
        );
        write(&mut self.bytes, units);
        self.last = doc;
        self.len += 1;
    }

    /// How many documents hold the term.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether none does.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Each document with the term's weighted frequency in it, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        let mut at = 0;
        let mut doc = 0;
        (0..self.len).map(move |_| {
            doc += read(&self.bytes, &mut at);
            (doc, frequency(read(&self.bytes, &mut at)))
        })
    }

    /// The term's weighted frequency in `doc` (0 when absent).
    pub fn frequency(&self, doc: u32) -> f32 {
        let block = self.skips.partition_point(|(first, _)| *first <= doc);
        let Some((first, offset)) = block.checked_sub(1).map(|b| self.skips[b]) else {
            return 0.0;
        };
        let mut at = offset as usize;
        let mut current = first;
        read(&self.bytes, &mut at);
        let mut units = read(&self.bytes, &mut at);
        while current < doc && at < self.bytes.len() {
            current += read(&self.bytes, &mut at);
            units = read(&self.bytes, &mut at);
        }
        if current == doc {
            frequency(units)
        } else {
            0.0
        }
    }

    /// A reader for looking up documents in increasing order.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor {
            postings: self,
            skip: 0,
            at: 0,
            doc: 0,
            units: 0,
            read: 0,
        }
    }

    /// The heap memory held, in bytes.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.skips.capacity() * std::mem::size_of::<(u32, u32)>()
    }

    /// Gives back the memory that growing left unused.
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.skips.shrink_to_fit();
    }
}

/// Looks up documents in increasing order, moving forward only: cheaper than a search from
/// the start for each of many documents.
pub struct Cursor<'a> {
    postings: &'a Postings,
    /// The skip entry whose block is being read.
    skip: usize,
    /// The offset of the next posting to decode.
    at: usize,
    /// The last posting decoded, and how many postings were decoded in all.
    doc: u32,
    units: u32,
    read: u32,
}

impl Cursor<'_> {
    /// The term's weighted frequency in `doc` (0 when absent); `doc` must not be less than
    /// the document of the previous call.
    pub fn seek(&mut self, doc: u32) -> f32 {
        let postings = self.postings;
        let skips = &postings.skips;
        if self.read > 0 && self.doc == doc {
            return frequency(self.units);
        }
        // Jump to the last block starting at or before `doc`, when it lies ahead: galloping
        // then a binary search among the skip entries.
        let mut step = 1;
        let mut high = self.skip + 1;
        while high < skips.len() && skips[high].0 <= doc {
            high += step;
            step *= 2;
        }
        let high = high.min(skips.len());
        let low = self.skip + 1;
        if low < high {
            let block = low + skips[low..high].partition_point(|(first, _)| *first <= doc) - 1;
            if block > self.skip || self.read == 0 {
                self.skip = block;
                self.at = skips[block].1 as usize;
                self.read = block as u32 * SKIP;
                self.doc = skips[block].0;
                read(&postings.bytes, &mut self.at);
                self.units = read(&postings.bytes, &mut self.at);
                self.read += 1;
            }
        }
        if self.read == 0 {
            let Some((first, offset)) = skips.first() else {
                return 0.0;
            };
            if *first > doc {
                return 0.0;
            }
            self.at = *offset as usize;
            self.doc = read(&postings.bytes, &mut self.at);
            self.units = read(&postings.bytes, &mut self.at);
            self.read = 1;
        }
        while self.doc < doc && self.read < postings.len {
            self.doc += read(&postings.bytes, &mut self.at);
            self.units = read(&postings.bytes, &mut self.at);
            self.read += 1;
            if self.read.is_multiple_of(SKIP) {
                self.skip += 1;
            }
        }
        if self.doc == doc {
            frequency(self.units)
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn postings_give_back_what_was_put_in(
            gaps in proptest::collection::vec((1u32..100_000, 1u32..2_000), 0..300),
        ) {
            let mut postings = Postings::default();
            let mut expected = Vec::new();
            let mut doc = 0;
            for (i, (gap, units)) in gaps.iter().enumerate() {
                doc = if i == 0 { gap - 1 } else { doc + gap };
                postings.push(doc, *units as f32 * FREQUENCY_UNIT);
                expected.push((doc, *units as f32 * FREQUENCY_UNIT));
            }
            prop_assert_eq!(postings.len(), expected.len());
            let read: Vec<(u32, f32)> = postings.iter().collect();
            prop_assert_eq!(&read, &expected);
            for (doc, frequency) in &expected {
                prop_assert_eq!(postings.frequency(*doc), *frequency);
                prop_assert_eq!(postings.frequency(doc + 1).min(0.0), 0.0);
            }
            if let Some((last, _)) = expected.last() {
                prop_assert_eq!(postings.frequency(last + 1), 0.0);
            }
            // Every other document through one cursor, and the ones between.
            let mut cursor = postings.cursor();
            for (doc, frequency) in expected.iter().step_by(2) {
                if *doc > 0 {
                    prop_assert_eq!(cursor.seek(doc - 1).min(0.0), 0.0);
                }
                prop_assert_eq!(cursor.seek(*doc), *frequency);
                prop_assert_eq!(cursor.seek(*doc), *frequency);
            }
        }
    }
}
