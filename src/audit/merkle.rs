//! RFC 6962 Merkle tree hash over entry hashes, kept as an incremental compact range.
//!
//! The leaves are the entry hashes themselves (`SHA-256(0x00 ‖ line)` is exactly the RFC 6962
//! leaf hash); interior nodes are `SHA-256(0x01 ‖ left ‖ right)`. [`CompactRange`] keeps the
//! roots of the perfect subtrees that make up `[0, size)` — one per set bit of `size`, largest
//! first — so an append costs O(1) amortised and the state is O(log n). The range is written
//! into every file header so that a writer (or a single-file verify) can resume from it.

use sha2::{Digest, Sha256};

use super::canonical::Hash;

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Root of the empty tree: `SHA-256("")`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The perfect-subtree roots covering leaves `[0, size)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    /// Subtree roots, largest (leftmost) first; `nodes.len() == size.count_ones()`.
    nodes: Vec<Hash>,
}

impl CompactRange {
    /// The range of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuild a range from its parts (as stored in a header); `None` when the number of
    /// nodes does not match `size`.
    pub fn from_parts(size: u64, nodes: Vec<Hash>) -> Option<Self> {
        (nodes.len() == size.count_ones() as usize).then_some(Self { size, nodes })
    }

    /// Number of leaves covered.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The subtree roots, largest first.
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// Append one leaf hash.
    pub fn append(&mut self, leaf: Hash) {
        let mut node = leaf;
        // Each trailing one bit of the old size is a subtree of the same height as the
        // carry: merge them, exactly like binary addition.
        let mut carries = self.size.trailing_ones();
        while carries > 0 {
            // The invariant nodes.len() == size.count_ones() guarantees a node is present.
            let Some(left) = self.nodes.pop() else { break };
            node = node_hash(&left, &node);
            carries -= 1;
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// RFC 6962 Merkle tree hash of the leaves appended so far.
    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        let Some(first) = iter.next() else {
            return empty_root();
        };
        iter.fold(*first, |acc, left| node_hash(left, &acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::canonical::{entry_hash, hex};

    /// Reference MTH straight from RFC 6962 §2.1.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                // k: the largest power of two strictly smaller than n.
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn matches_reference_for_all_sizes_up_to_70() {
        let leaves: Vec<Hash> = (0..70u32).map(|i| entry_hash(&i.to_be_bytes())).collect();
        let mut range = CompactRange::new();
        assert_eq!(range.root(), mth(&[]));
        for (i, leaf) in leaves.iter().enumerate() {
            range.append(*leaf);
            assert_eq!(range.size(), i as u64 + 1);
            assert_eq!(range.nodes().len(), range.size().count_ones() as usize);
            assert_eq!(range.root(), mth(&leaves[..=i]), "size {}", i + 1);
            let copy = CompactRange::from_parts(range.size(), range.nodes().to_vec());
            assert_eq!(copy.as_ref(), Some(&range));
        }
    }

    #[test]
    fn rfc6962_known_vectors() {
        // Test vectors from certificate-transparency-go (merkle/testonly): leaves are the
        // RFC 6962 leaf hashes of the byte strings below.
        let cases: [(&[u8], &str); 4] = [
            (
                b"",
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            ),
            (
                b"\x00",
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            ),
            (
                b"\x10",
                "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            ),
            (
                b"\x20\x21",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ),
        ];
        let mut range = CompactRange::new();
        for (input, root) in cases {
            range.append(entry_hash(input));
            assert_eq!(hex(&range.root()), root, "size {}", range.size());
        }
        assert_eq!(
            hex(&empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn from_parts_rejects_wrong_node_count() {
        assert!(CompactRange::from_parts(3, vec![[0; 32]]).is_none());
        assert!(CompactRange::from_parts(0, vec![]).is_some());
    }
}
