// Densifying TFLite's sparse tensor format.  The encoding (tensorflow/lite/schema/schema.fbs, SparsityParameters):
// a tensor of rank R whose dimensions block_map[b] are cut into blocks of block_size[b] has R + B "expanded"
// dimensions (the blocked ones divided by their block size, then one per block).  traversal_order lists them in
// storage order, and dim_metadata[level] describes the level-th one of that order: DENSE (all dense_size
// indices) or SPARSE_CSR (for each position of the levels above, array_segments[p] .. array_segments[p + 1] index
// the entries of array_indices that exist).  The stored values are the leaves in that traversal.
#include "model/tflite_sparsity.h"

#include <cstring>
#include <functional>

#include "common/error.h"
#include "model/tflite_ops.h"

namespace tare {

namespace {

// Dense data above this size is refused: a tiny file must not be able to ask for terabytes.
constexpr uint64_t kMaxDenseBytes = uint64_t(1) << 30;

struct Level {
  int dim = 0;   // expanded dimension of this level
  int size = 0;  // its size
  bool sparse = false;
  std::vector<int64_t> segments, indices;
};

// The integers of a SparseIndexVector (int32, uint16 or uint8); false when it is absent or of no known type.
bool index_vector(tflite::SparseIndexVector type, const void* table, std::vector<int64_t>* out) {
  auto copy = [&](const auto* vec) {
    if (!vec || !vec->values()) return false;
    out->assign(vec->values()->begin(), vec->values()->end());
    return true;
  };
  switch (type) {
    case tflite::SparseIndexVector::Int32Vector: return copy(static_cast<const tflite::Int32Vector*>(table));
    case tflite::SparseIndexVector::Uint16Vector: return copy(static_cast<const tflite::Uint16Vector*>(table));
    case tflite::SparseIndexVector::Uint8Vector: return copy(static_cast<const tflite::Uint8Vector*>(table));
    default: return false;
  }
}

}  // namespace

std::vector<uint8_t> densify_sparse_constant(const tflite::SparsityParameters& sparsity, const std::vector<int>& shape,
                                             size_t element_size, const uint8_t* values, size_t values_bytes,
                                             const std::string& label) {
  auto invalid = [&](const std::string& msg) { fail(TARE_ERROR_INVALID_MODEL, label + ": sparsity: " + msg); };
  const int rank = (int)shape.size();
  const std::vector<int> order = fb_ints(sparsity.traversal_order());
  const std::vector<int> block_map = fb_ints(sparsity.block_map());
  const int nblocks = (int)block_map.size();
  const int total = rank + nblocks;
  const auto* meta = sparsity.dim_metadata();
  const int nmeta = meta ? (int)meta->size() : 0;
  if ((int)order.size() != total || nmeta != total) {
    invalid("a rank-" + std::to_string(rank) + " tensor with " + std::to_string(nblocks) + " block dimensions needs " +
            std::to_string(total) + " traversal order entries and dimension metadata, has " +
            std::to_string(order.size()) + " and " + std::to_string(nmeta));
  }
  // The tensor's own dimensions come first in the order, its block dimensions after (as TFLite's converter reads).
  std::vector<bool> seen(total, false);
  for (int l = 0; l < total; l++) {
    const int d = order[l];
    const bool ok = l < rank ? (d >= 0 && d < rank) : (d >= rank && d < total);
    if (!ok || seen[d]) {
      invalid("traversal order entry " + std::to_string(l) + " (" + std::to_string(d) +
              ") is not a permutation of the tensor's dimensions followed by its block dimensions");
    }
    seen[d] = true;
  }
  for (int b = 0; b < nblocks; b++) {
    if (block_map[b] < 0 || block_map[b] >= rank || (b > 0 && block_map[b] <= block_map[b - 1])) {
      invalid("block map entry " + std::to_string(b) + " (" + std::to_string(block_map[b]) +
              ") is not an increasing dimension index below " + std::to_string(rank));
    }
  }
  // Expanded sizes.  A block's size is the dense size of the metadata its traversal entry names (as TFLite does).
  std::vector<int> expanded(shape);
  expanded.resize(total);
  for (int b = 0; b < nblocks; b++) {
    const auto* m = meta->Get(order[rank + b]);
    const int bs = m ? m->dense_size() : 0;
    const int dim = block_map[b];
    if (bs <= 0 || shape[dim] % bs != 0) {
      invalid("block size " + std::to_string(bs) + " does not divide dimension " + std::to_string(dim) + " (" +
              std::to_string(shape[dim]) + ")");
    }
    expanded[dim] = shape[dim] / bs;
    expanded[rank + b] = bs;
  }
  uint64_t dense_elements = 1;
  for (int d : shape) dense_elements *= (uint64_t)d;  // the importer has bounded the product
  if (dense_elements * element_size > kMaxDenseBytes) {
    invalid("the dense tensor would take " + std::to_string(dense_elements * element_size) + " bytes (at most " +
            std::to_string(kMaxDenseBytes) + " are densified)");
  }

  // Each level: its sizes and index arrays, checked against the number of positions of the levels above.
  std::vector<Level> levels(total);
  uint64_t positions = 1;
  for (int l = 0; l < total; l++) {
    const auto* m = meta->Get(l);
    Level& lv = levels[l];
    lv.dim = order[l];
    lv.size = expanded[lv.dim];
    const std::string where = "level " + std::to_string(l) + " (dimension " + std::to_string(lv.dim) + ")";
    if (positions > dense_elements) {
      invalid("the levels above " + where + " index " + std::to_string(positions) + " positions, more than the " +
              std::to_string(dense_elements) + " elements of the tensor");
    }
    if (!m) invalid(where + " has no metadata");
    if (m->format() == tflite::DimensionType::DENSE) {
      if (m->dense_size() != lv.size) {
        invalid(where + " is dense of size " + std::to_string(m->dense_size()) + ", the shape gives " +
                std::to_string(lv.size));
      }
      positions *= (uint64_t)lv.size;
      continue;
    }
    if (m->format() != tflite::DimensionType::SPARSE_CSR) invalid(where + " has an unknown format");
    lv.sparse = true;
    if (!index_vector(m->array_segments_type(), m->array_segments(), &lv.segments) ||
        !index_vector(m->array_indices_type(), m->array_indices(), &lv.indices)) {
      invalid(where + " is SPARSE_CSR without array_segments and array_indices");
    }
    if (lv.segments.size() != positions + 1) {
      invalid(where + " has " + std::to_string(lv.segments.size()) + " segment entries, the levels above give " +
              std::to_string(positions) + " positions (needs " + std::to_string(positions + 1) + ")");
    }
    if (lv.segments.front() != 0 || lv.segments.back() != (int64_t)lv.indices.size()) {
      invalid(where + ": the segments run from " + std::to_string(lv.segments.front()) + " to " +
              std::to_string(lv.segments.back()) + ", not from 0 to the " + std::to_string(lv.indices.size()) +
              " indices");
    }
    for (size_t p = 1; p < lv.segments.size(); p++) {
      if (lv.segments[p] < lv.segments[p - 1]) {
        invalid(where + ": segment entry " + std::to_string(p) + " (" + std::to_string(lv.segments[p]) +
                ") is below the one before it (" + std::to_string(lv.segments[p - 1]) + ")");
      }
    }
    for (size_t k = 0; k < lv.indices.size(); k++) {
      if (lv.indices[k] < 0 || lv.indices[k] >= lv.size) {
        invalid(where + ": index " + std::to_string(k) + " (" + std::to_string(lv.indices[k]) +
                ") is outside the dimension's size " + std::to_string(lv.size));
      }
    }
    positions = lv.indices.size();
  }
  if (values_bytes % element_size != 0 || values_bytes / element_size != positions) {
    invalid("the encoding stores " + std::to_string(positions) + " values, the buffer holds " +
            std::to_string(values_bytes) + " bytes of " + std::to_string(element_size) + "-byte elements");
  }

  // Scatter the leaves, in the traversal, to their row-major place.
  std::vector<uint8_t> dense(dense_elements * element_size, 0);
  std::vector<int64_t> coord(total, 0);
  std::vector<int> block_size(nblocks);
  for (int b = 0; b < nblocks; b++) block_size[b] = expanded[rank + b];
  size_t next_value = 0;
  std::function<void(int, int64_t)> walk = [&](int l, int64_t pos) {
    if (l == total) {
      std::vector<int64_t> idx(rank);
      for (int k = 0; k < rank; k++) idx[levels[k].dim] = coord[k];
      for (int k = rank; k < total; k++) {
        const int b = levels[k].dim - rank;
        idx[block_map[b]] = idx[block_map[b]] * block_size[b] + coord[k];
      }
      uint64_t flat = 0;
      for (int d = 0; d < rank; d++) flat = flat * (uint64_t)shape[d] + (uint64_t)idx[d];
      std::memcpy(dense.data() + flat * element_size, values + next_value * element_size, element_size);
      next_value++;
      return;
    }
    const Level& lv = levels[l];
    if (!lv.sparse) {
      for (int i = 0; i < lv.size; i++) {
        coord[l] = i;
        walk(l + 1, pos * lv.size + i);
      }
      return;
    }
    for (int64_t k = lv.segments[pos]; k < lv.segments[pos + 1]; k++) {
      coord[l] = lv.indices[k];
      walk(l + 1, k);
    }
  };
  walk(0, 0);
  return dense;
}

}  // namespace tare
