/* The hot tree-builder methods in C: twins of `weftc.syntax.builder.AstBuilder`.
 *
 * Each function below does what the Python method of the same name does, on
 * the same filtered children, and fills the frozen dataclasses' slots
 * directly (as `weftc.syntax.frozen.fast_init` does through the slot
 * descriptors). Anything unexpected (a child of a kind the Python method
 * handles another way, a literal that needs decoding) returns NULL, which
 * makes the whole parse fall back to the Python path. Rules not listed here
 * call the Python method. Tests compare whole trees from both paths.
 */

#include "front.h"

/* ------------------------------------------------------------ classes */

/* Each AST class the builders make, with its fields in order (checked
 * against the class's `__slots__` when bound). */
#define NODE_LIST(X) \
    X(Span, "file", "start", "end", "line", "column", "end_line", "end_column") \
    X(Ident, "span", "name") \
    X(Path, "span", "segments") \
    X(Name, "span", "name") \
    X(PathType, "span", "path", "args") \
    X(InferType, "span") \
    X(IntLit, "span", "value", "suffix", "text") \
    X(TextLit, "span", "value", "raw", "text") \
    X(Binary, "span", "op", "left", "right") \
    X(Assign, "span", "op", "target", "value") \
    X(Range, "span", "start", "end", "inclusive") \
    X(IsPattern, "span", "expr", "pattern", "negated") \
    X(Call, "span", "callee", "type_args", "args") \
    X(MethodCall, "span", "receiver", "method", "type_args", "args", "optional") \
    X(Field, "span", "target", "name", "optional") \
    X(LetStmt, "span", "pattern", "type", "value", "else_block") \
    X(ExprStmt, "span", "expr", "semicolon") \
    X(Block, "span", "stmts", "tail") \
    X(ItemStmt, "span", "item") \
    X(FieldInit, "span", "name", "value") \
    X(Await, "span", "target") \
    X(Try, "span", "target") \
    X(Paren, "span", "expr") \
    X(Unary, "span", "op", "operand") \
    X(ArrayLit, "span", "elements") \
    X(If, "span", "condition", "then", "else_") \
    X(While, "span", "condition", "body") \
    X(IdentPat, "span", "name", "mutable", "by_ref", "subpattern") \
    X(WildcardPat, "span") \
    X(PathPat, "span", "path") \
    X(VariantPat, "span", "path", "args") \
    X(Match, "span", "scrutinee", "arms") \
    X(MatchArm, "span", "attributes", "pattern", "guard", "body", "guard_keyword", "comma") \
    X(ClosureParam, "span", "pattern", "type") \
    X(Closure, "span", "params", "ret", "body", "is_async", "is_move") \
    X(Param, "span", "attributes", "pattern", "type", "default") \
    X(FieldDecl, "span", "attributes", "visibility", "name", "type", "default") \
    X(_Args, "span", "args") \
    X(_Guard, "span", "keyword", "expr") \
    X(_IsTest, "span", "pattern", "negated") \
    X(FnDecl, "span", "attributes", "visibility", "modifiers", "name", "generics", "params", \
      "throws", "ret", "contracts", "using", "where", "body", "expr_body", "using_before_ret") \
    X(TypeDecl, "span", "attributes", "visibility", "name", "generics", "body") \
    X(RefinedType, "span", "base", "binder", "predicate", "form", "parts", "braced") \
    X(ImplicitSubject, "span") \
    X(Variant, "span", "attributes", "name", "payload", "fields") \
    X(SumType, "span", "variants", "leading_bar") \
    X(RecordType, "span", "fields") \
    X(ContextDecl, "span", "attributes", "visibility", "name", "generics", "members", "is_async") \
    X(SelfParam, "span", "is_ref", "mutable") \
    X(ImplementBlock, "span", "attributes", "generics", "protocol", "target", "where", "items") \
    X(RefType, "span", "mutable", "target") \
    X(UsingEntry, "span", "context", "negated", "alias", "name", "condition") \
    X(UsingClause, "span", "entries", "bracketed") \
    X(RecordLit, "span", "path", "fields", "base") \
    X(Contract, "span", "kind", "conditions") \
    X(_Generics, "span", "params") \
    X(_Throws, "span", "types") \
    X(_Where, "span", "preds") \
    X(_RecordBase, "span", "expr") \
    X(_RefineBody, "span", "binder", "parts") \
    X(_Implicit, "span", "op") \
    X(FString, "span", "parts", "raw", "text") \
    X(FStringText, "span", "value") \
    X(FStringExpr, "span", "expr", "spec", "source")

#define AS_ENUM(cls, ...) C_##cls,
enum { NODE_LIST(AS_ENUM) N_CLASSES };
#undef AS_ENUM

#define AS_FIELDS(cls, ...) static const char *const fields_##cls[] = {__VA_ARGS__};
NODE_LIST(AS_FIELDS)
#undef AS_FIELDS

static const struct { const char *name; const char *const *fields; int n; } class_info[] = {
#define AS_INFO(cls, ...) {#cls, fields_##cls, (int)(sizeof fields_##cls / sizeof(char *))},
    NODE_LIST(AS_INFO)
#undef AS_INFO
};

static PyTypeObject *classes[N_CLASSES];
static Py_ssize_t offsets[N_CLASSES][16];

/* Abstract bases for isinstance tests. */
static PyTypeObject *Expr_T, *Stmt_T, *Item_T, *Pattern_T, *TypeExpr_T, *Attribute_T, *Visibility_T;

/* Operator tables from the Python builder (by token type). */
static int prec_of[N_TERMINALS];        /* 0: not a binary operator */
static int right_of[N_TERMINALS];
static PyObject *op_text[N_TERMINALS];  /* the `_PRECEDENCE` key */
static int is_assign[N_TERMINALS];
static int is_precedence;               /* `_IS_PRECEDENCE` */
static PyObject *str_if;
static PyObject *form_inline;          /* ast.RefinementForm.INLINE */

/* New node of class `cls` from its `count` field values `v`, new references
 * (stolen, even on failure). A NULL value fails without an error of its own. */
static PyObject *
make(int cls, PyObject **v, size_t count)
{
    int n = class_info[cls].n;
    if (count != (size_t)n) {   /* a builder out of step with NODE_LIST */
        for (size_t j = 0; j < count; j++)
            Py_XDECREF(v[j]);
        PyErr_Format(PyExc_SystemError, "%s takes %d fields, the C builder gave %zu",
                     class_info[cls].name, n, count);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        if (v[i] == NULL) {
            for (int j = 0; j < n; j++)
                Py_XDECREF(v[j]);
            return NULL;
        }
    PyTypeObject *tp = classes[cls];
    PyObject *o = tp->tp_alloc(tp, 0);
    if (o == NULL) {
        for (int j = 0; j < n; j++)
            Py_DECREF(v[j]);
        return NULL;
    }
    for (int i = 0; i < n; i++)
        SLOT(o, offsets[cls][i]) = v[i];
    return o;
}

#define MAKE(cls, ...) make(C_##cls, (PyObject *[]){__VA_ARGS__}, \
                             sizeof((PyObject *[]){__VA_ARGS__}) / sizeof(PyObject *))

static inline PyObject *newref(PyObject *o) { Py_XINCREF(o); return o; }
static inline PyObject *boolean(int b) { return newref(b ? Py_True : Py_False); }

/* ------------------------------------------------------------ spans */

/* The `span` slot of a node (borrowed), or NULL (no error set) if it has none. */
static PyObject *
span_attr(PyObject *node)
{
    static PyObject *name;
    static PyTypeObject *cached_type[64];
    static Py_ssize_t cached_off[64];
    PyTypeObject *tp = Py_TYPE(node);
    size_t h = ((size_t)tp >> 4) & 63;
    Py_ssize_t off;
    if (cached_type[h] == tp)
        off = cached_off[h];
    else {
        if (name == NULL && (name = PyUnicode_InternFromString("span")) == NULL)
            return NULL;
        PyObject *d = _PyType_Lookup(tp, name);
        if (d == NULL || !Py_IS_TYPE(d, &PyMemberDescr_Type)
            || ((PyMemberDescrObject *)d)->d_member->type != T_OBJECT_EX)
            return NULL;
        off = ((PyMemberDescrObject *)d)->d_member->offset;
        cached_type[h] = tp;
        cached_off[h] = off;
    }
    PyObject *s = SLOT(node, off);
    return s != NULL && Py_IS_TYPE(s, classes[C_Span]) ? s : NULL;
}

#define SPAN_FIELD(s, i) SLOT((s), offsets[C_Span][i])

static PyObject *
num(Py_ssize_t v)
{
    return PyLong_FromSsize_t(v);
}

/* `AstBuilder.tspan`. */
static PyObject *
tspan(Parse *p, Tok *t)
{
    if (p->at_origin)
        return MAKE(Span, newref(p->file), num(t->start), num(t->end), num(t->line), num(t->col),
                    num(t->end_line), num(t->end_col));
    Py_ssize_t dc = p->base_col - 1;
    return MAKE(Span, newref(p->file), num(t->start + p->base), num(t->end + p->base),
                num(t->line + p->base_line - 1), num(t->col + (t->line == 1 ? dc : 0)),
                num(t->end_line + p->base_line - 1), num(t->end_col + (t->end_line == 1 ? dc : 0)));
}

/* The start (file, start, line, column) and end (end, end_line, end_column)
 * of a child, as new references in out[0..3] / out[4..6]. */
static int
ends_of(Parse *p, PyObject *x, PyObject **out, int want_start)
{
    if (IS_TOK(x)) {
        Tok *t = (Tok *)x;
        Py_ssize_t base = p->at_origin ? 0 : p->base;
        Py_ssize_t bl = p->at_origin ? 0 : p->base_line - 1;
        Py_ssize_t dc = p->at_origin ? 0 : p->base_col - 1;
        if (want_start) {
            out[0] = newref(p->file);
            out[1] = num(t->start + base);
            out[2] = num(t->line + bl);
            out[3] = num(t->col + (t->line == 1 ? dc : 0));
        }
        else {
            out[4] = num(t->end + base);
            out[5] = num(t->end_line + bl);
            out[6] = num(t->end_col + (t->end_line == 1 ? dc : 0));
        }
        return OK;
    }
    PyObject *s = span_attr(x);
    if (s == NULL)
        return BAIL;
    if (want_start) {
        out[0] = newref(SPAN_FIELD(s, 0));
        out[1] = newref(SPAN_FIELD(s, 1));
        out[2] = newref(SPAN_FIELD(s, 3));
        out[3] = newref(SPAN_FIELD(s, 4));
    }
    else {
        out[4] = newref(SPAN_FIELD(s, 2));
        out[5] = newref(SPAN_FIELD(s, 5));
        out[6] = newref(SPAN_FIELD(s, 6));
    }
    return OK;
}

/* From `first` to `last` (`_join` for nodes; `span` for mixed children). */
static PyObject *
join(Parse *p, PyObject *first, PyObject *last)
{
    PyObject *v[7] = {0};
    if (first == last) {
        if (IS_TOK(first))
            return tspan(p, (Tok *)first);
        return newref(span_attr(first));
    }
    if (ends_of(p, first, v, 1) < 0 || ends_of(p, last, v, 0) < 0) {
        for (int i = 0; i < 7; i++)
            Py_XDECREF(v[i]);
        return NULL;
    }
    return MAKE(Span, v[0], v[1], v[4], v[2], v[3], v[5], v[6]);
}

/* `AstBuilder.span`: from the first to the last child that is not None. */
static PyObject *
span(Parse *p, PyObject **c, Py_ssize_t n)
{
    Py_ssize_t a = 0, b = n - 1;
    while (a < n && c[a] == Py_None)
        a++;
    while (b > a && c[b] == Py_None)
        b--;
    if (a >= n)
        return NULL;
    return join(p, c[a], c[b]);
}

/* ------------------------------------------------------------ child tests */

static inline int tok_is(PyObject *x, int type) { return IS_TOK(x) && ((Tok *)x)->type == type; }

static int
has(PyObject **c, Py_ssize_t n, int type)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (tok_is(c[i], type))
            return 1;
    return 0;
}

/* `_after`: the first non-None child after the first token of `type` (borrowed, Py_None if none). */
static PyObject *
after(PyObject **c, Py_ssize_t n, int type)
{
    int seen = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (seen && c[i] != Py_None)
            return c[i];
        if (tok_is(c[i], type))
            seen = 1;
    }
    return Py_None;
}

static inline int is_a(PyObject *x, PyTypeObject *tp) { return PyObject_TypeCheck(x, tp); }

/* `tuple(_of(c, kind))`. */
static PyObject *
of(PyObject **c, Py_ssize_t n, PyTypeObject *kind)
{
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        count += c[i] != Py_None && !IS_TOK(c[i]) && is_a(c[i], kind);
    PyObject *t = PyTuple_New(count);
    if (t == NULL)
        return NULL;
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (c[i] != Py_None && !IS_TOK(c[i]) && is_a(c[i], kind))
            PyTuple_SET_ITEM(t, k++, newref(c[i]));
    return t;
}

/* A tuple of the children in [a, b) that are not None. */
static PyObject *
not_none(PyObject **c, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t count = 0;
    for (Py_ssize_t i = a; i < b; i++)
        count += c[i] != Py_None;
    PyObject *t = PyTuple_New(count);
    if (t == NULL)
        return NULL;
    Py_ssize_t k = 0;
    for (Py_ssize_t i = a; i < b; i++)
        if (c[i] != Py_None)
            PyTuple_SET_ITEM(t, k++, newref(c[i]));
    return t;
}

/* A child that must be a node (not a token, not None): borrowed, or NULL. */
static PyObject *
node(PyObject *x)
{
    return x == Py_None || IS_TOK(x) ? NULL : x;
}

static PyObject *
value_of(PyObject *x)
{
    return IS_TOK(x) ? newref(tok_value((Tok *)x)) : NULL;
}

/* `AstBuilder.ident`. */
static PyObject *
ident(Parse *p, PyObject *x)
{
    if (!IS_TOK(x))
        return NULL;
    return MAKE(Ident, tspan(p, (Tok *)x), value_of(x));
}

/* The Python method's `next(x for x in c if isinstance(x, kind))`: borrowed or NULL. */
static PyObject *
first_of(PyObject **c, Py_ssize_t n, PyTypeObject *kind)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (c[i] != Py_None && !IS_TOK(c[i]) && is_a(c[i], kind))
            return c[i];
    return NULL;
}

static PyObject *
first_tok(PyObject **c, Py_ssize_t n, int type)
{
    for (Py_ssize_t i = 0; i < n; i++)
        if (IS_TOK(c[i]) && (type < 0 || ((Tok *)c[i])->type == type))
            return c[i];
    return NULL;
}

#define NEED(x) do { if ((x) == NULL) return NULL; } while (0)

/* ------------------------------------------------------------ builders */

static PyObject *
b_name(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 && IS_TOK(c[0]) ? c[0] : NULL);
    return MAKE(Name, tspan(p, (Tok *)c[0]), value_of(c[0]));
}

static int
tok_text_is(Tok *t, const char *s)
{
    Parse *p = t->owner;
    Py_ssize_t len = (Py_ssize_t)strlen(s);
    if (t->end - t->start != len)
        return 0;
    for (Py_ssize_t i = 0; i < len; i++)
        if (CH(p, t->start + i) != (Py_UCS4)(unsigned char)s[i])
            return 0;
    return 1;
}

static PyObject *
b_path_type(Parse *p, PyObject **c, Py_ssize_t n)
{
    if (n == 4 && c[1] == Py_None && IS_TOK(c[0])) {
        PyObject *sp = tspan(p, (Tok *)c[0]);
        NEED(sp);
        if (tok_text_is((Tok *)c[0], "_"))
            return MAKE(InferType, sp);
        PyObject *id = MAKE(Ident, newref(sp), value_of(c[0]));
        NEED(id);
        PyObject *segs = PyTuple_Pack(1, id);
        Py_DECREF(id);
        PyObject *path = MAKE(Path, newref(sp), segs);
        return MAKE(PathType, sp, path, PyTuple_New(0));
    }
    Py_ssize_t n_idents = 0, a = -1, b = -1;
    for (Py_ssize_t i = 0; i < n; i++)
        if (tok_is(c[i], TK_IDENT)) {
            n_idents++;
            if (a < 0)
                a = i;
            b = i;
        }
    NEED(n_idents ? c : NULL);
    PyObject *args = of(c, n, TypeExpr_T);
    NEED(args);
    PyObject *sp = span(p, c, n);
    if (sp == NULL) {
        Py_DECREF(args);
        return NULL;
    }
    if (n_idents == 1 && tok_text_is((Tok *)c[a], "_") && PyTuple_GET_SIZE(args) == 0 && !has(c, n, TK_LT)) {
        Py_DECREF(args);
        return MAKE(InferType, sp);
    }
    PyObject *segs = PyTuple_New(n_idents);
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; segs != NULL && i < n; i++)
        if (tok_is(c[i], TK_IDENT)) {
            PyObject *id = ident(p, c[i]);
            if (id == NULL) {
                Py_CLEAR(segs);
                break;
            }
            PyTuple_SET_ITEM(segs, k++, id);
        }
    PyObject *path = MAKE(Path, join(p, c[a], c[b]), segs);
    return MAKE(PathType, sp, path, args);
}

/* `path` / `pat_path`: every IDENT child becomes a segment. */
static PyObject *
b_path(Parse *p, PyObject **c, Py_ssize_t n)
{
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        NEED(IS_TOK(c[i]) ? c : NULL);   /* the Python method reads `.type` of every child */
        count += ((Tok *)c[i])->type == TK_IDENT;
    }
    PyObject *segs = PyTuple_New(count);
    NEED(segs);
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (((Tok *)c[i])->type == TK_IDENT) {
            PyObject *id = ident(p, c[i]);
            if (id == NULL) {
                Py_DECREF(segs);
                return NULL;
            }
            PyTuple_SET_ITEM(segs, k++, id);
        }
    return MAKE(Path, span(p, c, n), segs);
}

/* `number`: decimal integers (`_` between digits allowed) of up to 18 digits;
 * anything else needs `decode_number`. */
static PyObject *
b_number(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n == 1 && IS_TOK(c[0]) ? c : NULL);
    Tok *t = (Tok *)c[0];
    NEED(t->end > t->start && CH(p, t->end - 1) != '_' ? c : NULL);   /* `1_` is an E0007 */
    long long v = 0;
    int digits = 0;
    for (Py_ssize_t i = t->start; i < t->end; i++) {
        Py_UCS4 ch = CH(p, i);
        if (ch == '_')
            continue;
        NEED(ch >= '0' && ch <= '9' && ++digits <= 18 ? c : NULL);
        v = v * 10 + (long long)(ch - '0');
    }
    return MAKE(IntLit, tspan(p, t), PyLong_FromLongLong(v), newref(Py_None), value_of(c[0]));
}

/* `string`: text without escapes only; `decode_escapes` does the rest. */
static PyObject *
b_string(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n == 1 && IS_TOK(c[0]) ? c : NULL);
    Tok *t = (Tok *)c[0];
    for (Py_ssize_t i = t->start + 1; i < t->end - 1; i++)
        NEED(CH(p, i) != '\\' ? c : NULL);
    return MAKE(TextLit, tspan(p, t), PyUnicode_Substring(p->text, t->start + 1, t->end - 1),
                newref(Py_False), value_of(c[0]));
}

static PyObject *
b_path_pat(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 && Py_IS_TYPE(c[0], classes[C_Path]) ? c : NULL);
    PyObject *path = c[0];
    PyObject *segs = SLOT(path, offsets[C_Path][1]);
    PyObject *sp = SLOT(path, offsets[C_Path][0]);
    if (PyTuple_GET_SIZE(segs) == 1) {
        PyObject *seg = PyTuple_GET_ITEM(segs, 0);
        PyObject *name = SLOT(seg, offsets[C_Ident][1]);
        if (PyUnicode_CompareWithASCIIString(name, "_") == 0)
            return MAKE(WildcardPat, newref(sp));
        return MAKE(IdentPat, newref(sp), newref(seg), newref(Py_False), newref(Py_False), newref(Py_None));
    }
    return MAKE(PathPat, newref(sp), newref(path));
}

/* `_binary`: an assignment, a range or a binary operation. */
static PyObject *
binary(Parse *p, int op, PyObject *left, PyObject *right)
{
    PyObject *sp = join(p, left, right);
    if (is_assign[op])
        return MAKE(Assign, sp, newref(op_text[op]), newref(left), newref(right));
    if (op == TK_DOTDOT || op == TK_DOTDOTEQ)
        return MAKE(Range, sp, newref(left), newref(right), boolean(op == TK_DOTDOTEQ));
    return MAKE(Binary, sp, newref(op_text[op]), newref(left), newref(right));
}

/* Fold the top operator of `_climb`'s stacks into its operands. */
static int
reduce_top(Parse *p, PyObject **vals, Py_ssize_t *nv, int *ops, Py_ssize_t *no)
{
    int op = ops[--*no];
    PyObject *right = vals[--*nv], *left = vals[--*nv];
    PyObject *b = binary(p, op, left, right);
    Py_DECREF(left);
    Py_DECREF(right);
    if (b == NULL)
        return BAIL;
    vals[(*nv)++] = b;
    return OK;
}

/* `_climb`: precedence climbing over `operand (op operand | _IsTest)*` (borrowed items). */
static PyObject *
climb(Parse *p, PyObject **items, Py_ssize_t n)
{
    PyObject *vals_small[32], **vals = n <= 32 ? vals_small : PyMem_Malloc((size_t)n * sizeof(PyObject *));
    int ops_small[32], *ops = n <= 32 ? ops_small : PyMem_Malloc((size_t)n * sizeof(int));
    PyObject *result = NULL;
    Py_ssize_t nv = 0, no = 0, i = 1;
    if (vals == NULL || ops == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    vals[nv++] = newref(items[0]);

    while (i < n) {
        PyObject *it = items[i];
        if (Py_IS_TYPE(it, classes[C__IsTest])) {
            while (no && prec_of[ops[no - 1]] >= is_precedence)
                if (reduce_top(p, vals, &nv, ops, &no) < 0)
                    goto done;
            PyObject *left = vals[--nv];
            PyObject *sp = join(p, left, it);
            PyObject *node_ = MAKE(IsPattern, sp, newref(left), newref(SLOT(it, offsets[C__IsTest][1])),
                                   newref(SLOT(it, offsets[C__IsTest][2])));
            Py_DECREF(left);
            if (node_ == NULL)
                goto done;
            vals[nv++] = node_;
            i++;
            continue;
        }
        int op = token_type_id(p, it);
        if (op < 0 || !prec_of[op] || i + 1 >= n)
            goto done;
        int prec = prec_of[op], right = right_of[op];
        while (no && (prec_of[ops[no - 1]] > prec || (prec_of[ops[no - 1]] == prec && !right)))
            if (reduce_top(p, vals, &nv, ops, &no) < 0)
                goto done;
        ops[no++] = op;
        vals[nv++] = newref(items[i + 1]);
        i += 2;
    }
    while (no)
        if (reduce_top(p, vals, &nv, ops, &no) < 0)
            goto done;
    result = vals[0];
    nv = 0;
done:
    for (Py_ssize_t k = 0; k < nv; k++)
        Py_DECREF(vals[k]);
    if (vals != vals_small)
        PyMem_Free(vals);
    if (ops != ops_small)
        PyMem_Free(ops);
    return result;
}

static PyObject *
b_binseq(Parse *p, PyObject **c, Py_ssize_t n)
{
    if (n == 4 && c[3] == Py_None && IS_TOK(c[1])) {
        int op = ((Tok *)c[1])->type;
        NEED(prec_of[op] && node(c[0]) && node(c[2]) ? c : NULL);
        return binary(p, op, c[0], c[2]);
    }
    PyObject *small[32], **items = n <= 32 ? small : PyMem_Malloc((size_t)n * sizeof(PyObject *));
    NEED(items);
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (c[i] != Py_None)
            items[k++] = c[i];
    PyObject *r = k ? climb(p, items, k) : NULL;
    if (items != small)
        PyMem_Free(items);
    return r;
}

static PyObject *
b_call_args(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 2 ? c : NULL);
    return MAKE(_Args, span(p, c, n), not_none(c, 1, n - 1));
}

static PyObject *
b_let_stmt(Parse *p, PyObject **c, Py_ssize_t n)
{
    if (n == 9)
        return MAKE(LetStmt, span(p, c, n), newref(c[1]), newref(c[3]), newref(c[5]), newref(c[7]));
    PyObject *pattern = first_of(c, n, Pattern_T);
    NEED(pattern);
    return MAKE(LetStmt, span(p, c, n), newref(pattern), newref(after(c, n, TK_COLON)),
                newref(after(c, n, TK_EQUAL)), newref(after(c, n, TK_ELSE)));
}

/* The `args` of an `_Args` child (new reference) or NULL. */
static PyObject *
args_of(PyObject *x)
{
    return Py_IS_TYPE(x, classes[C__Args]) ? newref(SLOT(x, offsets[C__Args][1])) : NULL;
}

static PyObject *
b_method_call(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 4 && node(c[0]) ? c : NULL);
    PyObject *types = n > 4 ? of(c + 3, n - 3, TypeExpr_T) : PyTuple_New(0);
    return MAKE(MethodCall, span(p, c, n), newref(c[0]), ident(p, c[2]), types, args_of(c[n - 1]),
                newref(Py_False));
}

static PyObject *
b_call(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 2 && node(c[0]) ? c : NULL);
    return MAKE(Call, span(p, c, n), newref(c[0]), of(c + 1, n - 1, TypeExpr_T), args_of(c[n - 1]));
}

static PyObject *
b_field(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n == 3 && node(c[0]) ? c : NULL);
    return MAKE(Field, span(p, c, n), newref(c[0]), ident(p, c[2]), newref(Py_False));
}

static PyObject *
b_expr_stmt(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 ? c : NULL);
    return MAKE(ExprStmt, span(p, c, n), newref(c[0]), newref(Py_True));
}

static PyObject *
b_blocklike_stmt(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 && node(c[0]) ? c : NULL);
    return MAKE(ExprStmt, newref(span_attr(c[0])), newref(c[0]), newref(Py_False));
}

static PyObject *
b_block(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 2 ? c : NULL);
    PyObject *stmts = PyList_New(0);
    NEED(stmts);
    PyObject *tail = NULL;
    for (Py_ssize_t i = 1; i < n - 1; i++) {
        PyObject *x = c[i];
        if (x == Py_None)
            continue;
        int bad = IS_TOK(x);
        if (!bad && is_a(x, Stmt_T))
            bad = PyList_Append(stmts, x) < 0;
        else if (!bad && is_a(x, Item_T)) {
            PyObject *st = MAKE(ItemStmt, newref(span_attr(x)), newref(x));
            bad = st == NULL || PyList_Append(stmts, st) < 0;
            Py_XDECREF(st);
        }
        else if (!bad)
            tail = x;
        if (bad) {
            Py_DECREF(stmts);
            return NULL;
        }
    }
    Py_ssize_t ns = PyList_GET_SIZE(stmts);
    if (tail == NULL && ns) {
        PyObject *last = PyList_GET_ITEM(stmts, ns - 1);
        if (Py_IS_TYPE(last, classes[C_ExprStmt]) && SLOT(last, offsets[C_ExprStmt][2]) == Py_False) {
            tail = SLOT(last, offsets[C_ExprStmt][1]);
            Py_INCREF(tail);
            PyList_SetSlice(stmts, ns - 1, ns, NULL);   /* releases `last` */
            PyObject *sp = span(p, c, n);
            PyObject *r = MAKE(Block, sp, PyList_AsTuple(stmts), tail);
            Py_DECREF(stmts);
            return r;
        }
    }
    PyObject *r = MAKE(Block, span(p, c, n), PyList_AsTuple(stmts), newref(tail ? tail : Py_None));
    Py_DECREF(stmts);
    return r;
}

static PyObject *
b_field_init(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 ? c : NULL);
    return MAKE(FieldInit, span(p, c, n), ident(p, c[0]), newref(n > 2 ? c[2] : Py_None));
}

static PyObject *
b_await_expr(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 ? c : NULL);
    return MAKE(Await, span(p, c, n), newref(c[0]));
}

static PyObject *
b_try_expr(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 ? c : NULL);
    return MAKE(Try, span(p, c, n), newref(c[0]));
}

static PyObject *
b_paren(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 2 ? c : NULL);
    return MAKE(Paren, span(p, c, n), newref(c[1]));
}

static PyObject *
b_unary(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 2 && IS_TOK(c[0]) ? c : NULL);
    return MAKE(Unary, span(p, c, n), value_of(c[0]), newref(c[1]));
}

static PyObject *
b_array(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 2 ? c : NULL);
    return MAKE(ArrayLit, span(p, c, n), not_none(c, 1, n - 1));
}

static PyObject *
b_if_expr(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 3 ? c : NULL);
    return MAKE(If, span(p, c, n), newref(c[1]), newref(c[2]), newref(n > 4 ? c[4] : Py_None));
}

static PyObject *
b_while_expr(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 3 ? c : NULL);
    return MAKE(While, span(p, c, n), newref(c[1]), newref(c[2]));
}

static PyObject *
b_match_expr(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 2 ? c : NULL);
    return MAKE(Match, span(p, c, n), newref(c[1]), of(c, n, classes[C_MatchArm]));
}

static PyObject *
b_guard(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 2 && IS_TOK(c[0]) ? c : NULL);
    return MAKE(_Guard, span(p, c, n), value_of(c[0]), newref(c[1]));
}

/* `_arm` (`match_arm`, `last_arm`). */
static PyObject *
b_arm(Parse *p, PyObject **c, Py_ssize_t n)
{
    PyObject *guard = first_of(c, n, classes[C__Guard]);
    PyObject *pattern = first_of(c, n, Pattern_T);
    NEED(pattern);
    PyObject *body = after(c, n, TK_FATARROW);
    return MAKE(MatchArm, span(p, c, n), of(c, n, Attribute_T), newref(pattern),
                newref(guard ? SLOT(guard, offsets[C__Guard][2]) : Py_None), newref(body),
                newref(guard ? SLOT(guard, offsets[C__Guard][1]) : str_if), boolean(has(c, n, TK_COMMA)));
}

static PyObject *
b_ident_pat(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 ? c : NULL);
    return MAKE(IdentPat, span(p, c, n), ident(p, c[n - 1]), boolean(has(c, n, TK_MUT)),
                boolean(has(c, n, TK_REF)), newref(Py_None));
}

static PyObject *
b_variant_pat(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 ? c : NULL);
    return MAKE(VariantPat, span(p, c, n), newref(c[0]), of(c + 1, n - 1, Pattern_T));
}

static PyObject *
b_closure_param(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 ? c : NULL);
    return MAKE(ClosureParam, span(p, c, n), newref(c[0]), newref(after(c, n, TK_COLON)));
}

static PyObject *
b_closure(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 ? c : NULL);
    return MAKE(Closure, span(p, c, n), of(c, n, classes[C_ClosureParam]), newref(after(c, n, TK_ARROW)),
                newref(c[n - 1]), boolean(has(c, n, TK_ASYNC)), boolean(has(c, n, TK_MOVE)));
}

static PyObject *
b_param(Parse *p, PyObject **c, Py_ssize_t n)
{
    PyObject *pattern = first_of(c, n, Pattern_T);
    PyObject *type = first_of(c, n, TypeExpr_T);
    NEED(pattern && type ? c : NULL);
    return MAKE(Param, span(p, c, n), of(c, n, Attribute_T), newref(pattern), newref(type),
                newref(after(c, n, TK_EQUAL)));
}

static PyObject *
b_field_decl(Parse *p, PyObject **c, Py_ssize_t n)
{
    PyObject *name = first_tok(c, n, TK_IDENT);
    PyObject *type = first_of(c, n, TypeExpr_T);
    NEED(name && type ? c : NULL);
    PyObject *vis = first_of(c, n, Visibility_T);
    return MAKE(FieldDecl, span(p, c, n), of(c, n, Attribute_T), newref(vis ? vis : Py_None),
                ident(p, name), newref(type), newref(after(c, n, TK_EQUAL)));
}

/* `_vis`: the Visibility child or None (borrowed). */
static PyObject *
vis(PyObject **c, Py_ssize_t n)
{
    PyObject *v = first_of(c, n, Visibility_T);
    return v ? v : Py_None;
}

/* A record's field `i` (borrowed), for the builder's own helper records. */
#define FIELD(obj, cls, i) SLOT((obj), offsets[C_##cls][i])

static PyObject *empty_tuple(void) { return PyTuple_New(0); }

static PyObject *
b_fn_decl(Parse *p, PyObject **c, Py_ssize_t n)
{
    PyObject *attrs = PyList_New(0), *mods = PyList_New(0), *params = PyList_New(0);
    PyObject *contracts = PyList_New(0);
    PyObject *name = NULL, *generics = NULL, *throws = Py_None, *ret = Py_None, *using = Py_None;
    PyObject *where = NULL, *body = Py_None, *result = NULL;
    int seen_arrow = 0, seen_fn = 0, expr_body = 0, using_before = 0, ok = attrs && mods && params && contracts;
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        PyObject *x = c[i];
        if (x == Py_None)
            continue;
        if (IS_TOK(x)) {
            int tt = ((Tok *)x)->type;
            if (tt == TK_FN)
                seen_fn = 1;
            else if (tt == TK_IDENT && seen_fn && name == NULL)
                ok = (name = ident(p, x)) != NULL;
            else if ((tt == TK_PURE || tt == TK_ASYNC || tt == TK_UNSAFE) && !seen_fn)
                ok = PyList_Append(mods, tok_value((Tok *)x)) == 0;
            else if (tt == TK_ARROW)
                seen_arrow = 1;
            else if (tt == TK_EQUAL)
                expr_body = 1;
        }
        else if (is_a(x, Attribute_T))
            ok = PyList_Append(attrs, x) == 0;
        else if (Py_IS_TYPE(x, classes[C_Param]) || Py_IS_TYPE(x, classes[C_SelfParam]))
            ok = PyList_Append(params, x) == 0;
        else if (Py_IS_TYPE(x, classes[C__Generics]))
            generics = FIELD(x, _Generics, 1);
        else if (Py_IS_TYPE(x, classes[C__Throws]))
            throws = FIELD(x, _Throws, 1);
        else if (Py_IS_TYPE(x, classes[C_UsingClause])) {
            if (using != Py_None)
                ok = 0;             /* the Python method reports it */
            using = x;
            using_before = !seen_arrow && has(c, n, TK_ARROW);
        }
        else if (is_a(x, TypeExpr_T))
            ret = x;
        else if (Py_IS_TYPE(x, classes[C_Contract]))
            ok = PyList_Append(contracts, x) == 0;
        else if (Py_IS_TYPE(x, classes[C__Where]))
            where = FIELD(x, _Where, 1);
        else if (is_a(x, Expr_T))
            body = x;
    }
    if (ok && name != NULL) {
        result = MAKE(FnDecl, span(p, c, n), PyList_AsTuple(attrs), newref(vis(c, n)), PyList_AsTuple(mods),
                      name, generics ? newref(generics) : empty_tuple(), PyList_AsTuple(params),
                      newref(throws), newref(ret), PyList_AsTuple(contracts), newref(using),
                      where ? newref(where) : empty_tuple(), newref(body), boolean(expr_body),
                      boolean(using_before));
        name = NULL;
    }
    Py_XDECREF(name);
    Py_XDECREF(attrs);
    Py_XDECREF(mods);
    Py_XDECREF(params);
    Py_XDECREF(contracts);
    return result;
}

static PyObject *
b_type_decl(Parse *p, PyObject **c, Py_ssize_t n)
{
    PyObject *gen = first_of(c, n, classes[C__Generics]);
    PyObject *body = first_of(c, n, TypeExpr_T);
    PyObject *name = after(c, n, TK_TYPE);
    NEED(body && IS_TOK(name) ? c : NULL);
    return MAKE(TypeDecl, span(p, c, n), of(c, n, Attribute_T), newref(vis(c, n)), ident(p, name),
                gen ? newref(FIELD(gen, _Generics, 1)) : empty_tuple(), newref(body));
}

static PyObject *
b_implicit_cmp(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 && IS_TOK(c[0]) ? c : NULL);
    /* the op stays a lark Token, as the Python method keeps it */
    return MAKE(_Implicit, tspan(p, (Tok *)c[0]), tok_to_lark((Tok *)c[0]));
}

static PyObject *
b_refine_pred(Parse *p, PyObject **c, Py_ssize_t n)
{
    PyObject *small[32], **items = n * 2 <= 32 ? small : PyMem_Malloc((size_t)n * 2 * sizeof(PyObject *));
    NEED(items);
    Py_ssize_t k = 0;
    PyObject *result = NULL;
    int ok = 1;
    for (Py_ssize_t i = 0; ok && i < n; i++) {
        PyObject *x = c[i];
        if (Py_IS_TYPE(x, classes[C__Implicit])) {
            PyObject *subject = MAKE(ImplicitSubject, newref(FIELD(x, _Implicit, 0)));
            ok = subject != NULL;
            if (ok) {
                items[k++] = subject;
                items[k++] = newref(FIELD(x, _Implicit, 1));
            }
        }
        else if (x != Py_None)
            items[k++] = newref(x);
    }
    if (ok && k)
        result = k > 1 ? climb(p, items, k) : newref(items[0]);
    for (Py_ssize_t i = 0; i < k; i++)
        Py_DECREF(items[i]);
    if (items != small)
        PyMem_Free(items);
    return result;
}

static PyObject *
b_refine_body(Parse *p, PyObject **c, Py_ssize_t n)
{
    return MAKE(_RefineBody, span(p, c, n), newref(Py_None), of(c, n, Expr_T));
}

static PyObject *
b_refine_body_named(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 ? c : NULL);
    return MAKE(_RefineBody, span(p, c, n), ident(p, c[0]), of(c, n, Expr_T));
}

static PyObject *
b_refined_inline(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 3 && Py_IS_TYPE(c[2], classes[C__RefineBody]) ? c : NULL);
    PyObject *parts = FIELD(c[2], _RefineBody, 2);
    NEED(PyTuple_GET_SIZE(parts) ? c : NULL);
    PyObject *pred = newref(PyTuple_GET_ITEM(parts, 0));
    for (Py_ssize_t i = 1; pred != NULL && i < PyTuple_GET_SIZE(parts); i++) {
        PyObject *part = PyTuple_GET_ITEM(parts, i);
        PyObject *next = MAKE(Binary, join(p, pred, part), newref(op_text[TK_ANDAND]), newref(pred), newref(part));
        Py_DECREF(pred);
        pred = next;
    }
    NEED(pred);
    return MAKE(RefinedType, span(p, c, n), newref(c[0]), newref(FIELD(c[2], _RefineBody, 1)), pred,
                newref(form_inline), newref(parts), newref(Py_False));
}

/* `variant`, `variant_tuple`, `variant_record`: which of payload / fields to fill. */
static PyObject *
variant(Parse *p, PyObject **c, Py_ssize_t n, int payload, int fields)
{
    PyObject *name = first_tok(c, n, -1);
    NEED(name);
    return MAKE(Variant, span(p, c, n), of(c, n, Attribute_T), ident(p, name),
                payload ? of(c, n, TypeExpr_T) : newref(Py_None),
                fields ? of(c, n, classes[C_FieldDecl]) : newref(Py_None));
}

static PyObject *b_variant(Parse *p, PyObject **c, Py_ssize_t n) { return variant(p, c, n, 0, 0); }
static PyObject *b_variant_tuple(Parse *p, PyObject **c, Py_ssize_t n) { return variant(p, c, n, 1, 0); }
static PyObject *b_variant_record(Parse *p, PyObject **c, Py_ssize_t n) { return variant(p, c, n, 0, 1); }

static PyObject *
b_sum_type(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 ? c : NULL);
    return MAKE(SumType, span(p, c, n), of(c, n, classes[C_Variant]), boolean(tok_is(c[0], TK_PIPE)));
}

static PyObject *
b_record_type(Parse *p, PyObject **c, Py_ssize_t n)
{
    return MAKE(RecordType, span(p, c, n), of(c, n, classes[C_FieldDecl]));
}

static PyObject *
b_context_decl(Parse *p, PyObject **c, Py_ssize_t n)
{
    PyObject *name = first_tok(c, n, TK_IDENT);
    NEED(name);
    PyObject *gen = first_of(c, n, classes[C__Generics]);
    return MAKE(ContextDecl, span(p, c, n), of(c, n, Attribute_T), newref(vis(c, n)), ident(p, name),
                gen ? newref(FIELD(gen, _Generics, 1)) : empty_tuple(), of(c, n, Item_T),
                boolean(has(c, n, TK_ASYNC)));
}

static PyObject *
b_self_param(Parse *p, PyObject **c, Py_ssize_t n)
{
    return MAKE(SelfParam, span(p, c, n), boolean(has(c, n, TK_AMP)), boolean(has(c, n, TK_MUT)));
}

static PyObject *
b_implement_block(Parse *p, PyObject **c, Py_ssize_t n)
{
    PyObject *gen = first_of(c, n, classes[C__Generics]);
    PyObject *where = first_of(c, n, classes[C__Where]);
    PyObject *types = of(c, n, TypeExpr_T);
    NEED(types);
    int has_for = has(c, n, TK_FOR);
    if (PyTuple_GET_SIZE(types) < (has_for ? 2 : 1)) {
        Py_DECREF(types);
        return NULL;
    }
    PyObject *proto = has_for ? PyTuple_GET_ITEM(types, 0) : Py_None;
    PyObject *target = PyTuple_GET_ITEM(types, has_for ? 1 : 0);
    PyObject *r = MAKE(ImplementBlock, span(p, c, n), of(c, n, Attribute_T),
                       gen ? newref(FIELD(gen, _Generics, 1)) : empty_tuple(), newref(proto), newref(target),
                       where ? newref(FIELD(where, _Where, 1)) : empty_tuple(), of(c, n, Item_T));
    Py_DECREF(types);
    return r;
}

static PyObject *
b_ref_type(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 ? c : NULL);
    return MAKE(RefType, span(p, c, n), boolean(has(c, n, TK_MUT)), newref(c[n - 1]));
}

static PyObject *
b_using_entry(Parse *p, PyObject **c, Py_ssize_t n)
{
    PyObject *context = first_of(c, n, TypeExpr_T);
    NEED(context);
    PyObject *alias = after(c, n, TK_AS);
    return MAKE(UsingEntry, span(p, c, n), newref(context), boolean(has(c, n, TK_BANG)),
                alias != Py_None ? ident(p, alias) : newref(Py_None), newref(Py_None),
                newref(after(c, n, TK_IF)));
}

static PyObject *
b_using_clause(Parse *p, PyObject **c, Py_ssize_t n)
{
    return MAKE(UsingClause, span(p, c, n), of(c, n, classes[C_UsingEntry]), boolean(has(c, n, TK_LSQB)));
}

/* `_expr_path`: a Name/Field chain as a Path (new reference), or NULL. */
static PyObject *
expr_path(PyObject *e)
{
    PyObject *segs = PyList_New(0);
    NEED(segs);
    PyObject *x = e;
    while (Py_IS_TYPE(x, classes[C_Field]) && FIELD(x, Field, 3) == Py_False) {
        if (PyList_Append(segs, FIELD(x, Field, 2)) < 0)
            goto fail;
        x = FIELD(x, Field, 1);
    }
    if (!Py_IS_TYPE(x, classes[C_Name]))
        goto fail;
    PyObject *id = MAKE(Ident, newref(FIELD(x, Name, 0)), newref(FIELD(x, Name, 1)));
    if (id == NULL || PyList_Append(segs, id) < 0) {
        Py_XDECREF(id);
        goto fail;
    }
    Py_DECREF(id);
    if (PyList_Reverse(segs) < 0)
        goto fail;
    PyObject *path = MAKE(Path, newref(span_attr(e)), PyList_AsTuple(segs));
    Py_DECREF(segs);
    return path;
fail:
    Py_DECREF(segs);
    return NULL;
}

static PyObject *
b_record_lit(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n >= 1 && node(c[0]) ? c : NULL);
    PyObject *path = expr_path(c[0]);
    NEED(path);                 /* the Python method reports it */
    PyObject *base = first_of(c, n, classes[C__RecordBase]);
    return MAKE(RecordLit, span(p, c, n), path, of(c, n, classes[C_FieldInit]),
                newref(base ? FIELD(base, _RecordBase, 1) : Py_None));
}

/* `literals._top_level_colon` over body[a, b). */
static Py_ssize_t
top_level_colon(Parse *p, Py_ssize_t a, Py_ssize_t b)
{
    int depth = 0, quote = 0;
    for (Py_ssize_t k = a; k < b; k++) {
        Py_UCS4 ch = CH(p, k);
        if (ch == '"')
            quote = !quote;
        else if (quote)
            continue;
        else if (ch == '(' || ch == '[' || ch == '{')
            depth++;
        else if (ch == ')' || ch == ']' || ch == '}')
            depth--;
        else if (ch == ':' && depth == 0)
            return k;
    }
    return -1;
}

/* A span inside a one-line token: characters [a, b) after its start (`_sub_span`). */
static PyObject *
sub_span(PyObject *tok_span, Py_ssize_t a, Py_ssize_t b)
{
    Py_ssize_t start = PyLong_AsSsize_t(SPAN_FIELD(tok_span, 1));
    Py_ssize_t line = PyLong_AsSsize_t(SPAN_FIELD(tok_span, 3));
    Py_ssize_t col = PyLong_AsSsize_t(SPAN_FIELD(tok_span, 4));
    return MAKE(Span, newref(SPAN_FIELD(tok_span, 0)), num(start + a), num(start + b), num(line),
                num(col + a), num(line), num(col + b));
}

/* The file offset `rel` characters after a token's start (new int). */
static PyObject *
tok_start_abs(Parse *p, PyObject *tok_span, Py_ssize_t rel)
{
    return num(PyLong_AsSsize_t(SPAN_FIELD(tok_span, 1)) + rel);
}

/* One `{...}` segment of an f-string: body[i, j) in the text, `closed` if it ends with `}`. */
static PyObject *
fstring_expr(Parse *p, PyObject *tok_span, Py_ssize_t body, Py_ssize_t i, Py_ssize_t j, int closed,
             int depth_ok)
{
    Py_ssize_t tok_start = body - 2;            /* the `f"` */
    PyObject *sp = sub_span(tok_span, i - tok_start, j - tok_start);
    NEED(sp);
    Py_ssize_t inner_end = closed ? j - 1 : j;
    Py_ssize_t expr_end = inner_end;
    PyObject *spec = Py_None;
    Py_ssize_t colon = top_level_colon(p, i + 1, inner_end);
    Py_INCREF(spec);
    if (colon >= 0) {
        PyObject *cand = PyUnicode_Substring(p->text, colon + 1, inner_end);
        PyObject *m = cand ? PyObject_CallOneArg(p->eng->rx[RX_FSTRING_SPEC], cand)
                           : NULL;
        if (m == NULL) {
            Py_XDECREF(cand);
            Py_DECREF(spec);
            Py_DECREF(sp);
            return NULL;
        }
        if (m != Py_None) {
            Py_SETREF(spec, cand);
            expr_end = colon;
        }
        else
            Py_DECREF(cand);
        Py_DECREF(m);
    }
    int blank = 1;
    for (Py_ssize_t k = i + 1; blank && k < expr_end; k++)
        blank = Py_UNICODE_ISSPACE(CH(p, k));
    PyObject *expr = Py_None;
    Py_INCREF(expr);
    PyObject *parse_expr = PyObject_GetAttrString(p->eng->builder, "parse_expr");
    if (parse_expr == NULL)
        goto fail;
    if (closed && !blank && parse_expr != Py_None && depth_ok) {
        PyObject *expr_text = PyUnicode_Substring(p->text, i + 1, expr_end);
        PyObject *offset = expr_text ? tok_start_abs(p, tok_span, i + 1 - tok_start) : NULL;
        Py_SETREF(expr, expr_text && offset
                  ? PyObject_CallFunctionObjArgs(parse_expr, p->ctx, expr_text, offset, NULL) : NULL);
        Py_XDECREF(expr_text);
        Py_XDECREF(offset);
        if (expr == NULL) {
            Py_DECREF(parse_expr);
            goto fail;
        }
    }
    Py_DECREF(parse_expr);
    if (expr == Py_None) {
        Py_DECREF(expr);
        Py_DECREF(spec);
        PyObject *text = PyUnicode_Substring(p->text, i, j);
        PyObject *r = text ? PyObject_CallMethod(p->eng->builder, "literal_segment", "OOO", p->ctx, sp, text)
                           : NULL;
        Py_XDECREF(r);
        if (r == NULL) {
            Py_XDECREF(text);
            Py_DECREF(sp);
            return NULL;
        }
        return MAKE(FStringText, sp, text);
    }
    return MAKE(FStringExpr, sp, expr, spec, PyUnicode_Substring(p->text, i + 1, j - 1));
fail:
    Py_DECREF(expr);
    Py_DECREF(spec);
    Py_DECREF(sp);
    return NULL;
}

/* `fstring` for `f"..."` without backslashes (`split_fstring` + `_interpolate`);
 * raw f-strings and escapes stay with the Python method. */
static PyObject *
b_fstring(Parse *p, PyObject **c, Py_ssize_t n)
{
    NEED(n == 1 && tok_is(c[0], TK_FSTRING) ? c : NULL);
    Tok *t = (Tok *)c[0];
    Py_ssize_t body = t->start + 2, end = t->end - 1;
    for (Py_ssize_t k = body; k < end; k++)
        NEED(CH(p, k) != '\\' ? c : NULL);
    PyObject *depth_obj = PyObject_GetAttrString(p->ctx, "fstring_depth");
    NEED(depth_obj);
    long depth = PyLong_AsLong(depth_obj);
    Py_DECREF(depth_obj);
    PyObject *tok_span = tspan(p, t);
    PyObject *parts = PyList_New(0);
    Py_UCS4 *buf = PyMem_Malloc(sizeof(Py_UCS4) * (size_t)(end - body + 1));
    PyObject *result = NULL;
    if (tok_span == NULL || parts == NULL || buf == NULL)
        goto done;
    Py_ssize_t nbuf = 0, text_start = body, i = body;
    while (i <= end) {
        Py_UCS4 ch = i < end ? CH(p, i) : 0;
        if (i < end && (ch == '{' || ch == '}') && i + 1 < end && CH(p, i + 1) == ch) {
            buf[nbuf++] = ch;
            i += 2;
            continue;
        }
        if (i < end && ch != '{') {
            buf[nbuf++] = ch;
            i++;
            continue;
        }
        if (nbuf) {             /* flush the text before `{` (or the end) */
            PyObject *sp = sub_span(tok_span, text_start - t->start, i - t->start);
            PyObject *part = MAKE(FStringText, sp,
                                  PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, nbuf));
            if (part == NULL || PyList_Append(parts, part) < 0) {
                Py_XDECREF(part);
                goto done;
            }
            Py_DECREF(part);
            nbuf = 0;
        }
        if (i >= end)
            break;
        int level = 1;
        Py_ssize_t j = i + 1;
        while (j < end && level) {
            Py_UCS4 cj = CH(p, j);
            level += cj == '{' ? 1 : cj == '}' ? -1 : 0;
            j++;
        }
        PyObject *part = fstring_expr(p, tok_span, body, i, j, level == 0, depth < 4);
        if (part == NULL || PyList_Append(parts, part) < 0) {
            Py_XDECREF(part);
            goto done;
        }
        Py_DECREF(part);
        i = j;
        text_start = i;
    }
    result = MAKE(FString, newref(tok_span), PyList_AsTuple(parts), newref(Py_False), value_of(c[0]));
done:
    if (result == NULL && !PyErr_Occurred())
        PyErr_SetString(PyExc_RuntimeError, "f-string build failed");   /* no Python retry: notes may be made */
    Py_XDECREF(tok_span);
    Py_XDECREF(parts);
    PyMem_Free(buf);
    return result;
}

const char *const native_builder_names[] = {
    "name", "path_type", "path", "pat_path", "number", "string", "path_pat", "binseq",
    "call_args", "let_stmt", "method_call", "call", "field", "expr_stmt", "blocklike_stmt",
    "block", "body_block", "field_init", "await_expr", "try_expr", "paren", "unary", "array",
    "if_expr", "while_expr", "match_expr", "guard", "match_arm", "last_arm", "ident_pat",
    "variant_pat", "closure_param", "closure", "param", "field_decl",
    "fn_decl", "type_decl", "implicit_cmp", "refine_pred", "refine_body", "refine_body_named",
    "refined_inline", "variant", "variant_tuple", "variant_record", "sum_type", "record_type",
    "context_decl", "self_param", "implement_block", "ref_type", "using_entry", "using_clause",
    "record_lit", "fstring",
};
const NativeBuilder native_builders[] = {
    b_name, b_path_type, b_path, b_path, b_number, b_string, b_path_pat, b_binseq,
    b_call_args, b_let_stmt, b_method_call, b_call, b_field, b_expr_stmt, b_blocklike_stmt,
    b_block, b_block, b_field_init, b_await_expr, b_try_expr, b_paren, b_unary, b_array,
    b_if_expr, b_while_expr, b_match_expr, b_guard, b_arm, b_arm, b_ident_pat,
    b_variant_pat, b_closure_param, b_closure, b_param, b_field_decl,
    b_fn_decl, b_type_decl, b_implicit_cmp, b_refine_pred, b_refine_body, b_refine_body_named,
    b_refined_inline, b_variant, b_variant_tuple, b_variant_record, b_sum_type, b_record_type,
    b_context_decl, b_self_param, b_implement_block, b_ref_type, b_using_entry, b_using_clause,
    b_record_lit, b_fstring,
};
const int n_native_builders = (int)(sizeof native_builders / sizeof native_builders[0]);

/* ------------------------------------------------------------ binding */

static PyTypeObject *
get_class(PyObject *spec, const char *key, const char *name)
{
    PyObject *ns = PyDict_GetItemString(spec, key);
    PyObject *cls = ns ? PyObject_GetAttrString(ns, name) : NULL;
    if (cls == NULL) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_KeyError, "%s", key);
        return NULL;
    }
    if (!PyType_Check(cls)) {
        Py_DECREF(cls);
        PyErr_Format(PyExc_TypeError, "%s is not a class", name);
        return NULL;
    }
    return (PyTypeObject *)cls;   /* kept for the process's life */
}

/* spec: {"ast": module, "builder": module, "source": module,
 *        "precedence": {type id: (prec, right, op text)}, "assign": [type ids],
 *        "is_precedence": int} */
int
nodes_bind(PyObject *spec)
{
    for (int i = 0; i < N_CLASSES; i++) {
        const char *name = class_info[i].name;
        const char *key = i == C_Span ? "source" : name[0] == '_' ? "builder" : "ast";
        PyTypeObject *tp = get_class(spec, key, name);
        if (tp == NULL)
            return BAIL;
        PyObject *slots = PyObject_GetAttrString((PyObject *)tp, "__slots__");
        int ok = slots != NULL && PyTuple_Check(slots) && PyTuple_GET_SIZE(slots) == class_info[i].n;
        for (int f = 0; ok && f < class_info[i].n; f++)
            ok = PyUnicode_CompareWithASCIIString(PyTuple_GET_ITEM(slots, f), class_info[i].fields[f]) == 0;
        Py_XDECREF(slots);
        if (!ok) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "%s: fields differ from the C builders' list", name);
            return BAIL;
        }
        if (slot_offsets(tp, class_info[i].fields, class_info[i].n, offsets[i]) < 0)
            return BAIL;
        classes[i] = tp;
    }
    if ((Expr_T = get_class(spec, "ast", "Expr")) == NULL || (Stmt_T = get_class(spec, "ast", "Stmt")) == NULL
        || (Item_T = get_class(spec, "ast", "Item")) == NULL
        || (Pattern_T = get_class(spec, "ast", "Pattern")) == NULL
        || (TypeExpr_T = get_class(spec, "ast", "TypeExpr")) == NULL
        || (Attribute_T = get_class(spec, "ast", "Attribute")) == NULL
        || (Visibility_T = get_class(spec, "ast", "Visibility")) == NULL)
        return BAIL;
    PyObject *prec = PyDict_GetItemString(spec, "precedence");
    PyObject *assign = PyDict_GetItemString(spec, "assign");
    PyObject *isp = PyDict_GetItemString(spec, "is_precedence");
    if (prec == NULL || assign == NULL || isp == NULL) {
        PyErr_SetString(PyExc_KeyError, "precedence/assign/is_precedence");
        return BAIL;
    }
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(prec, &pos, &key, &value)) {
        long t = PyLong_AsLong(key);
        if (t < 0 || t >= N_TERMINALS || !PyTuple_Check(value) || PyTuple_GET_SIZE(value) != 3) {
            PyErr_SetString(PyExc_ValueError, "bad precedence entry");
            return BAIL;
        }
        prec_of[t] = (int)PyLong_AsLong(PyTuple_GET_ITEM(value, 0));
        right_of[t] = PyObject_IsTrue(PyTuple_GET_ITEM(value, 1));
        Py_INCREF(PyTuple_GET_ITEM(value, 2));
        Py_XSETREF(op_text[t], PyTuple_GET_ITEM(value, 2));
    }
    for (Py_ssize_t i = 0; i < PySequence_Size(assign); i++) {
        PyObject *item = PySequence_GetItem(assign, i);
        long t = item ? PyLong_AsLong(item) : -1;
        Py_XDECREF(item);
        if (t < 0 || t >= N_TERMINALS) {
            PyErr_SetString(PyExc_ValueError, "bad assign entry");
            return BAIL;
        }
        is_assign[t] = 1;
    }
    is_precedence = (int)PyLong_AsLong(isp);
    if (str_if == NULL && (str_if = PyUnicode_InternFromString("if")) == NULL)
        return BAIL;
    PyObject *forms = PyObject_GetAttrString(PyDict_GetItemString(spec, "ast"), "RefinementForm");
    Py_XSETREF(form_inline, forms ? PyObject_GetAttrString(forms, "INLINE") : NULL);
    Py_XDECREF(forms);
    if (form_inline == NULL)
        return BAIL;
    return PyErr_Occurred() ? BAIL : OK;
}
