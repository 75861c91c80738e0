// A runnable network: a DAG of layers in topological order, each node listing the earlier nodes it
// reads (node 0 is the network input, the last node is the output). The graph module compiles its
// Boost.Graph architectures to this form. Activations and gradients live in per-node buffers that are
// reused from step to step.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "nas/train/kernels.hpp"
#include "nas/train/layer.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

// Example:
//   network net;
//   auto a = net.add(conv2d({.in_channels = 1, .out_channels = 8, .padding = 1}, rng));  // reads the input
//   auto b = net.add(relu{}, {a});
//   net.add(add{}, {a, b});                                                            // the output
class network {
 public:
  // Index of the input node.
  static constexpr std::size_t input = 0;

  network() = default;
  // Copies the layers (with their weights) and the structure, not the activations.
  network(const network& o)
      : nodes_(o.nodes_), fusion_(o.fusion_), training_(o.training_), input_grad_wanted_(o.input_grad_wanted_) {}
  network& operator=(const network& o) {
    if (this != &o) *this = network(o);
    return *this;
  }
  network(network&&) noexcept = default;
  network& operator=(network&&) noexcept = default;

  // Appends a layer reading the outputs of the given earlier nodes; returns the new node's index.
  std::size_t add(layer l, std::vector<std::size_t> inputs) {
    const std::size_t id = size();
    if (inputs.empty())
      throw moo::value_error(moo::detail::message("network: node ", id, " (", l.label(), ") has no inputs"));
    for (std::size_t j : inputs)
      if (j >= id)
        throw moo::value_error(moo::detail::message("network: node ", id, " (", l.label(), ") reads node ", j,
                                                    ", which is not an earlier node (nodes must be in topological order)"));
    l.set_training(training_);
    nodes_.push_back({std::move(l), std::move(inputs)});
    buffers_.clear();
    input_ = nullptr;
    return id;
  }

  // Appends a layer reading the previous node (a chain).
  std::size_t add(layer l) { return add(std::move(l), {size() - 1}); }

  // Number of nodes including the input node.
  std::size_t size() const { return nodes_.size() + 1; }
  // Index of the output node (the last one).
  std::size_t output_node() const { return nodes_.size(); }

  // The layer of node i >= 1 (node 0 is the input and has none).
  layer& at(std::size_t i) { return nodes_.at(check_node(i) - 1).op; }
  const layer& at(std::size_t i) const { return nodes_.at(check_node(i) - 1).op; }
  const std::vector<std::size_t>& inputs_of(std::size_t i) const { return nodes_.at(check_node(i) - 1).inputs; }

  // Output shapes of every node for an input of shape in (entry 0 is in); throws shape_error naming the
  // node, its layer and the shapes when a layer does not fit.
  std::vector<shape4> shapes(const shape4& in) const {
    std::vector<shape4> s{in};
    std::vector<shape4> args;
    for (std::size_t i = 1; i < size(); ++i) {
      const node& nd = nodes_[i - 1];
      args.clear();
      for (std::size_t j : nd.inputs) args.push_back(s[j]);
      try {
        s.push_back(nd.op.output_shape(args));
      } catch (const shape_error& e) {
        throw shape_error(moo::detail::message("network node ", i, ": ", e.what()));
      }
    }
    return s;
  }

  // Output shape for an input of shape in.
  shape4 output_shape(const shape4& in) const { return shapes(in).back(); }

  // Runs the network on x and returns the output; the activations stay available until the next call.
  // A batch norm whose only reader is a ReLU runs fused with it (one pass; the batch norm's own output
  // is then not stored, see set_fusion).
  // An empty batch (N = 0) is refused: it has no output worth computing, and its mean loss is undefined.
  const tensor& forward(const tensor& x) {
    if (nodes_.empty()) throw moo::value_error("network: forward on a network without layers");
    if (x.shape()[0] == 0)
      throw moo::value_error(moo::detail::message("network: forward on an empty batch (input shape ",
                                                  to_string(shape_of(x)), ")"));
    prepare();
    plan_fusion();
    input_ = &x;
    for (std::size_t i = 1; i < size(); ++i) {
      if (fused_prev_[i] != 0) continue;  // computed with its batch norm
      node& nd = nodes_[i - 1];
      auto& args = buffers_[i].args;
      for (std::size_t k = 0; k < nd.inputs.size(); ++k) args[k] = activation_ptr(nd.inputs[k]);
      try {
        if (const std::size_t j = fused_next_[i]; j != 0)
          nd.op.get_if<batch_norm>()->forward_relu(*args[0], buffers_[j].value);
        else
          nd.op.forward(args, buffers_[i].value);
      } catch (const shape_error& e) {
        throw shape_error(moo::detail::message("network node ", i, ": ", e.what()));
      }
    }
    return buffers_.back().value;
  }

  // Enables (default) or disables running a batch norm together with the ReLU that is its only reader.
  void set_fusion(bool on) { fusion_ = on; }

  // Back-propagates the gradient of the loss with respect to the output of the last forward() call and
  // sets every parameter gradient (overwriting the previous ones).
  void backward(const tensor& grad_output) {
    if (input_ == nullptr) throw moo::value_error("network: backward called before forward");
    if (grad_output.shape()[0] == 0)
      throw moo::value_error(moo::detail::message("network: backward on an empty batch (output gradient shape ",
                                                  to_string(shape_of(grad_output)), ")"));
    if (shape_of(grad_output) != shape_of(buffers_.back().value))
      throw shape_error(moo::detail::message("network: output gradient shape ", to_string(shape_of(grad_output)),
                                             " differs from the output shape ", to_string(shape_of(buffers_.back().value))));
    for (auto& b : buffers_) b.has_grad = false;
    buffers_.back().has_grad = true;
    const std::size_t last = output_node();
    for (std::size_t i = last; i >= 1; --i) {
      if (fused_prev_[i] != 0) continue;  // handled by its batch norm
      node& nd = nodes_[i - 1];
      auto& buf = buffers_[i];
      const std::size_t j = fused_next_[i];  // the fused ReLU, whose output gradient this node consumes
      const std::size_t g = j != 0 ? j : i;
      if (!buffers_[g].has_grad) continue;  // does not reach the output
      const tensor& gout = g == last ? grad_output : buffers_[g].grad;
      for (std::size_t k = 0; k < nd.inputs.size(); ++k) {
        const std::size_t src = nd.inputs[k];
        buf.add_into[k] = false;
        if (!needs_grad_[src]) {
          buf.grad_args[k] = nullptr;
        } else if (!buffers_[src].has_grad) {
          buf.grad_args[k] = &buffers_[src].grad;
          buffers_[src].has_grad = true;
        } else {
          buf.grad_args[k] = &buf.spill[k];
          buf.add_into[k] = true;
        }
      }
      if (j != 0)
        nd.op.get_if<batch_norm>()->backward_relu(*buf.args[0], gout, buf.grad_args[0]);
      else
        nd.op.backward(buf.args, buf.value, gout, buf.grad_args);
      for (std::size_t k = 0; k < nd.inputs.size(); ++k) {
        if (!buf.add_into[k]) continue;
        tensor& dst = buffers_[nd.inputs[k]].grad;
        detail::add_to(dst.data(), buf.spill[k].data(), dst.size());
      }
    }
  }

  // Requests (or stops) the gradient with respect to the network input in backward().
  void set_input_gradient(bool on) {
    input_grad_wanted_ = on;
    buffers_.clear();
    input_ = nullptr;
  }
  // The input gradient of the last backward() (needs set_input_gradient(true)).
  const tensor& input_gradient() const { return buffers_.at(0).grad; }

  // Output of node i after forward() (node 0: the input; empty for a batch norm fused with its ReLU).
  const tensor& activation(std::size_t i) const { return *activation_ptr(check_node(i)); }

  // All trainable parameters; unnamed layers' parameters are called "node<i>.weight" and so on.
  std::vector<parameter_ref> parameters() {
    std::vector<parameter_ref> all;
    for (std::size_t i = 1; i < size(); ++i)
      for (auto& p : nodes_[i - 1].op.parameters()) {
        if (p.name.empty() || p.name.front() == '.') p.name = moo::detail::message("node", i, p.name);
        all.push_back(std::move(p));
      }
    return all;
  }

  // Number of trainable scalars.
  std::size_t parameter_count() {
    std::size_t n = 0;
    for (const auto& p : parameters()) n += p.value.size();
    return n;
  }

  // Multiply-accumulates of one forward pass for an input of shape in.
  std::size_t macs(const shape4& in) const {
    const auto s = shapes(in);
    std::size_t total = 0;
    std::vector<shape4> args;
    for (std::size_t i = 1; i < size(); ++i) {
      args.clear();
      for (std::size_t j : nodes_[i - 1].inputs) args.push_back(s[j]);
      total += nodes_[i - 1].op.macs(args);
    }
    return total;
  }

  // Training mode (batch statistics) or evaluation mode (running statistics) for every layer.
  void set_training(bool on) {
    training_ = on;
    for (auto& nd : nodes_) nd.op.set_training(on);
  }
  void train() { set_training(true); }
  void eval() { set_training(false); }
  bool training() const { return training_; }

 private:
  struct node {
    layer op;
    std::vector<std::size_t> inputs;
  };
  struct buffer {
    tensor value, grad;
    std::vector<const tensor*> args;
    std::vector<tensor*> grad_args;
    std::vector<tensor> spill;  // gradients for inputs that already received one (fan-out), then added
    std::vector<char> add_into;
    bool has_grad = false;
  };

  std::size_t check_node(std::size_t i) const {
    if (i >= size())
      throw moo::value_error(moo::detail::message("network: node ", i, " does not exist (", size(), " nodes)"));
    return i;
  }

  const tensor* activation_ptr(std::size_t j) const { return j == 0 ? input_ : &buffers_[j].value; }

  // Sizes the per-node buffers; runs once per structure.
  void prepare() {
    if (buffers_.size() == size()) return;
    buffers_.assign(size(), buffer{});
    needs_grad_.assign(size(), 0);
    needs_grad_[0] = input_grad_wanted_ ? 1 : 0;
    readers_.assign(size(), 0);
    fused_next_.assign(size(), 0);
    fused_prev_.assign(size(), 0);
    for (const node& nd : nodes_)
      for (std::size_t j : nd.inputs) ++readers_[j];
    for (std::size_t i = 1; i < size(); ++i) {
      node& nd = nodes_[i - 1];
      auto& b = buffers_[i];
      b.args.assign(nd.inputs.size(), nullptr);
      b.grad_args.assign(nd.inputs.size(), nullptr);
      b.spill.resize(nd.inputs.size());
      b.add_into.assign(nd.inputs.size(), 0);
    }
  }

  // Decides which nodes need gradients (a trainable layer at or before them) and pairs each batch norm
  // with the ReLU that is its only reader; layers may have been replaced through at(), so this runs on
  // every forward pass.
  void plan_fusion() {
    needs_grad_[0] = input_grad_wanted_ ? 1 : 0;
    for (std::size_t i = 1; i < size(); ++i) {
      fused_next_[i] = 0;
      fused_prev_[i] = 0;
      const node& nd = nodes_[i - 1];
      bool need = nd.op.trainable();
      for (std::size_t j : nd.inputs) need = need || needs_grad_[j] != 0;
      needs_grad_[i] = need ? 1 : 0;
    }
    if (!fusion_) return;
    for (std::size_t j = 2; j < size(); ++j) {
      const node& nd = nodes_[j - 1];
      if (nd.inputs.size() != 1 || nd.op.get_if<relu>() == nullptr) continue;
      const std::size_t i = nd.inputs[0];
      if (i == 0 || readers_[i] != 1 || nodes_[i - 1].op.get_if<batch_norm>() == nullptr) continue;
      fused_next_[i] = j;
      fused_prev_[j] = i;
    }
  }

  std::vector<node> nodes_;
  std::vector<buffer> buffers_;
  std::vector<char> needs_grad_;
  std::vector<std::size_t> readers_, fused_next_, fused_prev_;
  bool fusion_ = true;
  const tensor* input_ = nullptr;
  bool training_ = true;
  bool input_grad_wanted_ = false;
};

// A chain of layers, each reading the previous one.
// Example: auto net = sequential(conv2d(...), batch_norm({.channels = 8}), relu{});
template <class... L>
network sequential(L&&... layers) {
  network net;
  (net.add(layer(std::forward<L>(layers))), ...);
  return net;
}

}  // namespace nas::train
