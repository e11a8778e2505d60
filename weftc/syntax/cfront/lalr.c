/* The LALR loop: the C twin of `FastParser.parse` over lark's tables.
 *
 * Tokens come from `lex_next` and `postlex_feed`; each reduction filters
 * its children as lark's parse-tree builder does (`fastpath._compile`) and
 * then calls the C builder for the rule if there is one, else the Python
 * `AstBuilder` method with lark Tokens in the list.
 */

#include "front.h"

typedef struct {
    int *states;
    PyObject **values;
    Py_ssize_t n_states, n_values, cap_states, cap_values;
} Stacks;

static int
push_state(Stacks *s, int st)
{
    if (s->n_states == s->cap_states && grow((void **)&s->states, &s->cap_states, sizeof(int)) < 0)
        return BAIL;
    s->states[s->n_states++] = st;
    return OK;
}

/* Push a new reference (stolen). */
static int
push_value(Stacks *s, PyObject *v)
{
    if (s->n_values == s->cap_values && grow((void **)&s->values, &s->cap_values, sizeof(PyObject *)) < 0) {
        Py_DECREF(v);
        return BAIL;
    }
    s->values[s->n_values++] = v;
    return OK;
}

static void
stacks_free(Stacks *s)
{
    for (Py_ssize_t i = 0; i < s->n_values; i++)
        Py_DECREF(s->values[i]);
    PyMem_Free(s->values);
    PyMem_Free(s->states);
}

/* A growable array of new references: the filtered children. */
typedef struct {
    PyObject **items;
    Py_ssize_t n, cap;
    PyObject *small[16];
} Kids;

static int
kids_add(Kids *k, PyObject *v)   /* borrowed v; a reference is taken */
{
    if (k->n == k->cap) {
        Py_ssize_t c = k->cap * 2;
        PyObject **n = k->items == k->small ? PyMem_Malloc((size_t)c * sizeof(PyObject *))
                                            : PyMem_Realloc(k->items, (size_t)c * sizeof(PyObject *));
        if (n == NULL) {
            PyErr_NoMemory();
            return BAIL;
        }
        if (k->items == k->small)
            memcpy(n, k->small, sizeof k->small);
        k->items = n;
        k->cap = c;
    }
    Py_INCREF(v);
    k->items[k->n++] = v;
    return OK;
}

static void
kids_free(Kids *k)
{
    for (Py_ssize_t i = 0; i < k->n; i++)
        Py_DECREF(k->items[i]);
    if (k->items != k->small)
        PyMem_Free(k->items);
}

/* The kids as a Python list for a Python builder method (lark Tokens for tokens). */
static PyObject *
kids_list(PyObject **items, Py_ssize_t n, int lark_tokens)
{
    PyObject *list = PyList_New(n);
    if (list == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = items[i];
        if (lark_tokens && IS_TOK(v)) {
            v = tok_to_lark((Tok *)v);
            if (v == NULL) {
                Py_DECREF(list);
                return NULL;
            }
        }
        else
            Py_INCREF(v);
        PyList_SET_ITEM(list, i, v);
    }
    return list;
}

/* The value of rule `r` from the kept children `kids` (borrowed); new reference or NULL. */
static PyObject *
build(Parse *p, Rule *r, PyObject **kids, Py_ssize_t n)
{
    if (r->expand1 && n == 1) {
        Py_INCREF(kids[0]);
        return kids[0];
    }
    if (r->method == NULL)
        return kids_list(kids, n, 0);
    if (r->native >= 0) {
        PyObject *value = native_builders[r->native](p, kids, n);
        if (value != NULL || PyErr_Occurred())
            return value;
        /* NULL without an error: the C builder leaves this one to the Python method */
    }
    PyObject *list = kids_list(kids, n, 1);
    if (list == NULL)
        return NULL;
    PyObject *value = PyObject_CallOneArg(r->method, list);
    Py_DECREF(list);
    return value;
}

/* One reduction by `rule`: pops its children, pushes its value. */
static int
reduce(Parse *p, Stacks *s, Rule *r)
{
    if (r->unit) {
        s->n_states--;
        return OK;
    }
    PyObject **c = s->values + s->n_values - r->size;
    PyObject *value = NULL;
    if (!r->filtered)           /* the children as they are on the stack */
        value = build(p, r, c, r->size);
    else {
        Kids k;
        k.items = k.small;
        k.n = 0;
        k.cap = 16;
        int status = OK;
        for (int j = 0; j < r->n_include && status == OK; j++) {
            int *inc = r->include + 3 * j;
            for (int q = 0; q < inc[2] && status == OK; q++)
                status = kids_add(&k, Py_None);
            PyObject *v = c[inc[0]];
            if (status != OK)
                break;
            if (!inc[1])
                status = kids_add(&k, v);
            else if (!PyList_CheckExact(v))
                status = BAIL;
            else
                for (Py_ssize_t q = 0; q < PyList_GET_SIZE(v) && status == OK; q++)
                    status = kids_add(&k, PyList_GET_ITEM(v, q));
        }
        for (int q = 0; q < r->trailing && status == OK; q++)
            status = kids_add(&k, Py_None);
        if (status == OK)
            value = build(p, r, k.items, k.n);
        kids_free(&k);
    }
    for (int i = 0; i < r->size; i++)
        Py_DECREF(c[i]);
    s->n_values -= r->size;
    s->n_states -= r->size;
    if (value == NULL)
        return BAIL;
    return push_value(s, value);
}

#define ACTION(g, state, sym) ((g)->actions[(size_t)(state) * (size_t)(g)->n_symbols + (size_t)(sym)])

/* Reduce as the table says until `tok` shifts; BAIL if it cannot. Steals `tok`. */
static int
shift(Parse *p, Stacks *s, Tok *tok)
{
    Engine *g = p->eng;
    int tt = tok->type;
    for (;;) {
        int32_t act = ACTION(g, s->states[s->n_states - 1], tt);
        if (act == NO_ACTION) {
            Py_DECREF(tok);
            return BAIL;
        }
        if (act >= 0) {
            if (push_state(s, act) < 0) {
                Py_DECREF(tok);
                return BAIL;
            }
            return push_value(s, (PyObject *)tok);
        }
        Rule *r = &g->rules[~act];
        if (reduce(p, s, r) < 0) {
            Py_DECREF(tok);
            return BAIL;
        }
        int32_t go = ACTION(g, s->states[s->n_states - 1], r->origin);
        if (go < 0 || push_state(s, go) < 0) {
            Py_DECREF(tok);
            return BAIL;
        }
    }
}

/* `FastParser._retype`: the state's lexer type for a token its actions lack, or -1 to re-lex. */
static int
retype(Engine *g, int state, int tt)
{
    const uint8_t *terms = g->lexer_terms + (size_t)g->state_lexer[state] * N_TERMINALS;
    if (terms[tt])
        return tt;
    int raw = g->keyword_of[tt];
    return raw >= 0 && terms[raw] ? raw : -1;
}

/* `FastParser._diverge` for its one common case: after `.`, where the state's
 * lexer has TUPLE_INDEX (`[0-9]+`, the first of its terminals that can start
 * with a digit) but not NUMBER, the root lexer's NUMBER (`1` or `1.0` of
 * `t.1.0`) is cut back to its leading digits, and lexing goes on after them
 * (the root lexer matches what a state's lexer matches wherever the state
 * knows the terminal, so it can take over again at any position). */
static int
tuple_index(Parse *p, int state, Tok *tok)
{
    Engine *g = p->eng;
    if (tok->type != TK_NUMBER || !g->lexer_terms[(size_t)g->state_lexer[state] * N_TERMINALS + TK_TUPLE_INDEX])
        return BAIL;
    Py_ssize_t e = tok->start;
    while (e < tok->end && CH(p, e) >= '0' && CH(p, e) <= '9')
        e++;
    if (e == tok->start)
        return BAIL;
    tok->type = TK_TUPLE_INDEX;
    tok->end = e;
    tok->end_col = tok->col + (e - tok->start);
    p->pos = e;                 /* a NUMBER spans no newline: line and column base stay */
    return OK;
}

PyObject *
lalr_parse(Parse *p, int start, int end_state)
{
    Engine *g = p->eng;
    Stacks s = {0};
    PyObject *result = NULL;
    if (push_state(&s, start) < 0)
        goto done;
    for (;;) {
        Tok *tok = tok_new(p);
        if (tok == NULL)
            goto done;
        if (lex_next(p, tok) < 0) {
            Py_DECREF(tok);
            goto done;
        }
        if (tok->type == TK_END) {
            Py_DECREF(tok);
            break;
        }
        int state = s.states[s.n_states - 1];
        if (ACTION(g, state, tok->type) == NO_ACTION) {
            int tt = retype(g, state, tok->type);
            if (tt < 0 && tuple_index(p, state, tok) < 0) {
                Py_DECREF(tok);     /* the state's own lexer cuts differently: Python */
                goto done;
            }
            if (tt >= 0)
                tok->type = tt;
        }
        Tok *first;
        if (postlex_feed(p, tok, &first) < 0) {
            Py_DECREF(tok);
            goto done;
        }
        if (first != NULL && shift(p, &s, first) < 0) {
            Py_DECREF(tok);
            goto done;
        }
        if (shift(p, &s, tok) < 0)
            goto done;
    }
    for (;;) {
        int32_t act = ACTION(g, s.states[s.n_states - 1], TK_END);
        if (act == NO_ACTION || act >= 0)
            goto done;
        Rule *r = &g->rules[~act];
        if (reduce(p, &s, r) < 0)
            goto done;
        int32_t go = ACTION(g, s.states[s.n_states - 1], r->origin);
        if (go < 0 || push_state(&s, go) < 0)
            goto done;
        if (go == end_state) {
            result = s.values[s.n_values - 1];
            /* a lone token (an `expr` parse of one token with no tree rule)
             * leaves as the lark Token the Python loop would return */
            if (IS_TOK(result))
                result = tok_to_lark((Tok *)result);
            else
                Py_INCREF(result);
            goto done;
        }
    }
done:
    stacks_free(&s);
    return result;
}
