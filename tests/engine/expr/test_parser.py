"""The parser: plain, Unicode and LaTeX spellings mean the same thing; bad input is
refused with a message that says what went wrong and where."""

from __future__ import annotations

import pytest

from engine.checking.equivalence import equivalent
from engine.errors import ExpressionError
from engine.expr.ast import BinOp, Call, Compare, Constant, Index, ListExpr, Name, Neg, Node, Number
from engine.expr.parser import ParseOptions, parse, parse_with_variables
from engine.expr.printer import to_unicode


def read(text: str, *variables: str) -> Node:
    return parse_with_variables(text, variables or ("x",))


def plain(node: Node) -> Node:
    """The tree without the `implicit` marks, which only record how a product was written."""
    match node:
        case BinOp(op, left, right):
            return BinOp(op, plain(left), plain(right))
        case Neg(operand):
            return Neg(plain(operand))
        case Call(func, args):
            return Call(func, tuple(plain(a) for a in args))
        case Compare(op, left, right):
            return Compare(op, plain(left), plain(right))
        case ListExpr(items):
            return ListExpr(tuple(plain(i) for i in items))
        case Index(base, index):
            return Index(plain(base), plain(index))
    return node


def error_of(text: str, options: ParseOptions | None = None) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse(text, options or ParseOptions(variables=frozenset({"x", "y"})))
    return caught.value


X, Y = Name("x"), Name("y")
ONE = Number("1")


def sig(arg: Node) -> Node:
    return Call("sigmoid", (arg,))


# -- the same tree from every notation --------------------------------------------------------


@pytest.mark.parametrize(
    ("spellings", "tree"),
    [
        (
            ["\\frac{1}{1+e^{-x}}", "1/(1+e^(-x))", "1/(1 + e^-x)", "\\dfrac{1}{1+\\mathrm{e}^{-x}}"],
            BinOp("/", ONE, BinOp("+", ONE, BinOp("^", Constant("e"), Neg(X)))),
        ),
        (
            [
                "σ(x)(1-σ(x))",
                "sigma(x)*(1-sigma(x))",
                "\\sigma(x)\\left(1-\\sigma(x)\\right)",
                "sigmoid(x) (1 − sigmoid(x))",
                "\\sigma(x) \\cdot (1 - \\sigma(x))",
                "logistic(x)·(1-σ(x))",
            ],
            BinOp("*", sig(X), BinOp("-", ONE, sig(X))),
        ),
        (
            ["1-\\tanh^2(x)", "1 - tanh(x)^2", "1-tanh(x)**2", "1 − tanh(x)²", "1-\\tanh^{2}x"],
            BinOp("-", ONE, BinOp("^", Call("tanh", (X,)), Number("2"))),
        ),
        (["2x", "2*x", "2·x", "2 \\cdot x", "2\\times x", "2 × x", "2⋅x"], BinOp("*", Number("2"), X)),
        (["x(1-x)", "x*(1-x)", "x\\left(1-x\\right)", "x·(1 − x)"], BinOp("*", X, BinOp("-", ONE, X))),
        (["x²", "x^2", "x**2", "x^{2}", "x ^ 2"], BinOp("^", X, Number("2"))),
        (["x⁻¹", "x^-1", "x^{-1}", "x**(-1)"], BinOp("^", X, Neg(ONE))),
        (
            ["√2/2", "sqrt(2)/2", "\\sqrt{2}/2", "\\sqrt2/2"],
            BinOp("/", Call("sqrt", (Number("2"),)), Number("2")),
        ),
        (
            ["|x|", "abs(x)", "Abs(x)", "\\lvert x \\rvert", "\\left|x\\right|", "\\vert x\\vert"],
            Call("abs", (X,)),
        ),
        (["\\sqrt[3]{x}", "x^(1/3)", "x^{1/3}"], BinOp("^", X, BinOp("/", ONE, Number("3")))),
        (["x @ y", "x@y"], BinOp("@", X, Y)),
        (["ln(x)", "log(x)", "\\ln x", "\\log(x)", "\\ln{x}"], Call("log", (X,))),
        (["ReLU(x)", "relu(x)", "\\operatorname{ReLU}(x)", "\\mathrm{relu}(x)"], Call("relu", (X,))),
        (["Φ(x)", "Phi(x)", "\\Phi(x)", "\\Phi\\left(x\\right)"], Call("Phi", (X,))),
        (["sgn(x)", "sign(x)", "\\operatorname{sgn}(x)"], Call("sign", (X,))),
    ],
)
def test_notations_give_the_same_tree(spellings: list[str], tree: Node) -> None:
    for text in spellings:
        assert plain(read(text, "x", "y")) == tree, text


@pytest.mark.parametrize("text", ["beta_1", "β₁", "beta1", "\\beta_{1}", "\\beta_1", "β_1", "β1", "beta_{1}"])
def test_spellings_of_beta_1_are_one_name(text: str) -> None:
    assert read(text, "beta_1") == Name("beta_1")


@pytest.mark.parametrize("text", ["eps", "ε", "ϵ", "epsilon", "\\epsilon", "\\varepsilon"])
def test_spellings_of_epsilon_are_eps(text: str) -> None:
    assert read(text, "eps") == Name("eps")


@pytest.mark.parametrize("text", ["\\hat{m}", "\\hat m", "m_hat", "m̂", "\\hat{ m }"])
def test_accented_names(text: str) -> None:
    assert read(text, "m_hat") == Name("m_hat")


def test_lists_and_matrices() -> None:
    assert read("[0.5, 0.25]") == ListExpr((Number("0.5"), Number("0.25")))
    matrix = read("[[1, 2], [3, 4]]")
    assert matrix == ListExpr((ListExpr((Number("1"), Number("2"))), ListExpr((Number("3"), Number("4")))))
    assert plain(read("[x, 2x]")) == ListExpr((X, BinOp("*", Number("2"), X)))
    assert read("v[0]", "v") == Index(Name("v"), Number("0"))
    with pytest.raises(ExpressionError, match="list is not expected"):
        parse("[1, 2]", ParseOptions(allow_lists=False))
    with pytest.raises(ExpressionError, match="empty list at column 1"):
        parse("[]")


def test_numbers_keep_their_text_for_exact_arithmetic() -> None:
    assert read("0.1") == Number("0.1")
    assert read("1e-8") == Number("1e-8")
    assert read(".5") == Number(".5")


# -- reading conventions (from the parser's docstring) ---------------------------------------


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("1/2x", BinOp("/", ONE, BinOp("*", Number("2"), X))),
        ("-x^2", Neg(BinOp("^", X, Number("2")))),
        ("2^3^2", BinOp("^", Number("2"), BinOp("^", Number("3"), Number("2")))),
        ("\\tanh^2(x)", BinOp("^", Call("tanh", (X,)), Number("2"))),
        ("\\log 2x", Call("log", (BinOp("*", Number("2"), X),))),
        ("\\sin x \\cos x", BinOp("*", Call("sin", (X,)), Call("cos", (X,)))),
        ("\\frac12 x", BinOp("*", BinOp("/", ONE, Number("2")), X)),
        ("\\frac{1}{2}x", BinOp("*", BinOp("/", ONE, Number("2")), X)),
        ("x/2(1+x)", BinOp("/", X, BinOp("*", Number("2"), BinOp("+", ONE, X)))),
        ("e^2x", BinOp("*", BinOp("^", Constant("e"), Number("2")), X)),
        ("|x|y", BinOp("*", Call("abs", (X,)), Y)),
        ("|x - |y||", Call("abs", (BinOp("-", X, Call("abs", (Y,))),))),
        ("2\\pi x", BinOp("*", BinOp("*", Number("2"), Constant("pi")), X)),
        ("where(x > 0, x, 0)", Call("where", (Compare(">", X, Number("0")), X, Number("0")))),
        ("where(x ≤ y, x, y)", Call("where", (Compare("<=", X, Y), X, Y))),
    ],
)
def test_reading_conventions(text: str, tree: Node) -> None:
    assert plain(read(text, "x", "y")) == tree


def test_sigma_is_the_sigmoid_unless_declared() -> None:
    assert read("σ(x)") == sig(X)
    assert read("sigma(x)") == sig(X)
    assert plain(read("σ(x)", "sigma", "x")) == BinOp("*", Name("sigma"), X)
    assert plain(read("sigma^2", "sigma")) == BinOp("^", Name("sigma"), Number("2"))
    assert plain(read("sigma^2(x)")) == BinOp("^", sig(X), Number("2"))
    assert read("Phi(x)") == Call("Phi", (X,))
    assert plain(read("Phi(x)", "Phi", "x")) == BinOp("*", Name("Phi"), X)


def test_implicit_split_of_declared_variables() -> None:
    assert plain(read("xy", "x", "y")) == BinOp("*", X, Y)
    assert plain(read("pix", "x")) == BinOp("*", Constant("pi"), X)
    # Only the last piece takes the exponent: xy² is x·y², as x y² is.
    assert plain(read("xy^2", "x", "y")) == BinOp("*", X, BinOp("^", Y, Number("2")))
    assert plain(read("xe^x", "x")) == BinOp("*", X, BinOp("^", Constant("e"), X))
    assert plain(read("xv[0]", "x", "v")) == BinOp("*", X, Index(Name("v"), Number("0")))
    # A declared longer name wins over splitting it.
    assert read("xy", "x", "y", "xy") == Name("xy")
    with pytest.raises(ExpressionError, match="unknown name 'xz'"):
        read("xz", "x", "y")


def test_split_product_means_the_same_as_spaced_product() -> None:
    for joined, spaced in [("xy^2", "x y^2"), ("xe^x", "x e^x"), ("2xy", "2 x y"), ("xy/2", "x y / 2")]:
        a, b = read(joined, "x", "y"), read(spaced, "x", "y")
        assert equivalent(a, b).equal, joined


# -- errors: what, where, and what would be accepted --------------------------------------------


def test_unknown_name_lists_the_declared_variables() -> None:
    error = error_of("x + z", ParseOptions(variables=frozenset({"x", "lr", "beta_1"})))
    assert "unknown name 'z'" in error.message
    assert "column 5" in error.message
    assert "beta_1, lr, x" in error.message
    assert error.position == 4


def test_unknown_function_is_an_unknown_name() -> None:
    error = error_of("f(x)")
    assert "unknown name 'f'" in error.message
    assert "x, y" in error.message


def test_a_greek_function_without_parentheses_gets_a_hint() -> None:
    assert "functions need parentheses" in error_of("sigma").message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("exp(x, y)", "exp takes 1 argument, got 2"),
        ("clip(x)", "clip takes 3 arguments, got 1"),
        ("where(x > 0, x)", "where takes 3 arguments, got 2"),
        ("log(x, 2, 3)", "log takes 1 to 2 arguments, got 3"),
        ("max(x,x,x,x,x,x,x,x,x)", "max takes 1 to 8 arguments, got 9"),
    ],
)
def test_arity_errors(text: str, expected: str) -> None:
    assert expected in error_of(text).message


@pytest.mark.parametrize(
    ("text", "fragments", "position"),
    [
        ("x +", ["ends too early", "'+' at column 3"], 3),
        ("x^", ["ends too early", "'^' at column 2"], 2),
        ("(x", ["expected ')'", "'(' at column 1", "end of the input"], 2),
        ("x)", ["unmatched ')'", "column 2"], 1),
        ("2 3", ["a number directly after", "column 3", "write *"], 2),
        ("(x+1)2", ["a number directly after", "column 6"], 5),
        ("sin^-1(x)", ["ambiguous", "column 4", "1/sin(x)"], 3),
        ("[1, 2", ["expected ']'", "'[' at column 1"], 5),
        ("|x", ["expected '|'", "column 1"], 2),
        ("(x, y)", ["unexpected ','", "column 3", "[a, b]"], 2),
        ("x < y < 1", ["chained comparison", "column 7"], 6),
        ("1 +* 2", ["unexpected '*'", "column 4"], 3),
        ("x # y", ["unexpected character '#'", "column 3"], 2),
        ("\\foo{x}", ["unknown LaTeX command \\foo", "column 1"], 0),
        ("\\frac{1}", ["\\frac at column 1 needs two"], 0),
        ("sin", ["sin at column 1 needs an argument"], 0),
        ("x⁻⁻¹", ["superscript", "column 2"], 1),
    ],
)
def test_error_messages_say_what_and_where(text: str, fragments: list[str], position: int) -> None:
    error = error_of(text)
    for fragment in fragments:
        assert fragment in error.message, (text, error.message)
    assert error.position == position


def test_empty_answer() -> None:
    assert "empty" in error_of("   ").message


def test_numeric_answers_refuse_names() -> None:
    numeric = ParseOptions(allow_names=False)
    assert plain(parse("sqrt(2)/2", numeric)) == BinOp("/", Call("sqrt", (Number("2"),)), Number("2"))
    assert parse("pi", numeric) == Constant("pi")
    assert plain(parse("2e", numeric)) == BinOp("*", Number("2"), Constant("e"))
    error = error_of("x/2", numeric)
    assert "'x' at column 1" in error.message
    assert "must be a number" in error.message


def test_deck_formulas_accept_any_name() -> None:
    """Without declared variables every name is a variable (checked against the card later)."""
    assert plain(parse("lr*m_hat")) == BinOp("*", Name("lr"), Name("m_hat"))
    assert parse("xy") == Name("xy")


def test_huge_constant_exponents_are_refused() -> None:
    for text in ["2^2000", "x^(10^6)", "1e200^2"]:
        with pytest.raises(ExpressionError, match="too large"):
            read(text)
    with pytest.raises(ExpressionError, match="not a real number"):
        read("x^sqrt(-2)")
    assert read("x^1000") == BinOp("^", X, Number("1000"))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("1*(x>0)", "x > 0"),
        ("|x<1|", "x < 1"),
        ("log(x<1)", "x < 1"),
        ("(1<2)-(2<3)", "1 < 2"),
        ("-(1<2)", "1 < 2"),
        ("x ≤ y", "x ≤ y"),
        ("where(x > 0, x < 1, 0)", "x < 1"),
        ("where(where(x > 0, 1, 0) = 1, x, y)", None),  # a where inside a condition is a number: fine
    ],
)
def test_a_comparison_is_only_the_condition_of_where(text: str, shown: str | None) -> None:
    if shown is None:
        assert read(text, "x", "y")
        return
    message = error_of(text).message
    assert message.startswith(f"{shown} is true or false, not a number")
    assert "condition of where(condition, a, b)" in message


@pytest.mark.parametrize("text", ["where(3, 3, 1)", "where(x, 1, 0)", "where(sign(x), 1, 0)"])
def test_where_needs_a_comparison(text: str) -> None:
    assert "where needs a comparison such as x > 0 as its condition" in error_of(text).message


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("1 - β₁ᵗ", "1 − β₁^t"),  # superscript letters are an exponent
        ("pᵢ − yᵢ", "p_i − y_i"),  # subscript letters are a subscript
        ("½(η_max − η_min)", "(1/2)·(η_max − η_min)"),
        (r"\bar\mu", "μ̄"),
        (r"\overline{\mu}", "μ̄"),
        (r"\eta_{\max}", "η_max"),
        (r"\eta_\text{max} - \eta_{\mathrm{min}}", "η_max − η_min"),
        (r"\text{fan}_{\text{in}} + \text{fan\_in}", "fan_in + fan_in"),
        (r"\sqrt{\hat v_t}", "√v̂_t"),
        ("v̂_t", "v̂_t"),
        (r"\hat{m}_1", "m̂₁"),
    ],
)
def test_what_learners_type_from_a_prompt_reads_as_written(text: str, read: str) -> None:
    variables = ["beta_1", "t", "p_i", "y_i", "eta_max", "eta_min", "mu_bar", "fan_in", "v_hat_t", "m_hat_1"]
    assert to_unicode(parse_with_variables(text, variables)) == read
