/* Tokens on the C parser's stack, and their lark `Token` twins.
 *
 * A `Tok` is a small C record: most tokens are punctuation that the tree
 * builder drops, so neither their text nor a lark Token is ever made. Those
 * are made on demand, the lark Token only for Python builder methods, with
 * the same type, text and positions `FastParser.parse` gives its tokens.
 * Freed Toks are kept for reuse (a parse makes one per token).
 */

#include "front.h"

#define FREE_MAX 1024
static Tok *free_toks[FREE_MAX];
static int n_free;

PyObject *lark_token_type;          /* lark.Token */
static Py_ssize_t lark_slots[8];    /* type start_pos value line column end_line end_column end_pos */
static const char *const lark_slot_names[8] = {
    "type", "start_pos", "value", "line", "column", "end_line", "end_column", "end_pos"};

int
tok_bind(PyObject *token_type)
{
    if (!PyType_Check(token_type)
        || slot_offsets((PyTypeObject *)token_type, lark_slot_names, 8, lark_slots) < 0)
        return BAIL;
    Py_INCREF(token_type);
    Py_XSETREF(lark_token_type, token_type);
    return OK;
}

Tok *
tok_new(Parse *p)
{
    Tok *t;
    if (n_free) {
        t = free_toks[--n_free];
        _Py_NewReference((PyObject *)t);
    }
    else {
        t = PyObject_New(Tok, &Tok_Type);
        if (t == NULL)
            return NULL;
    }
    t->keyword = -1;
    t->value = NULL;
    t->lark = NULL;
    t->owner = p;
    return t;
}

static void
tok_dealloc(PyObject *o)
{
    Tok *t = (Tok *)o;
    Py_CLEAR(t->value);
    Py_CLEAR(t->lark);
    if (n_free < FREE_MAX)
        free_toks[n_free++] = t;
    else
        PyObject_Free(t);
}

PyObject *
tok_value(Tok *t)
{
    if (t->value == NULL)
        t->value = PyUnicode_Substring(t->owner->text, t->start, t->end);
    return t->value;
}

PyObject *
tok_to_lark(Tok *t)
{
    if (t->lark != NULL) {
        Py_INCREF(t->lark);
        return t->lark;
    }
    PyObject *value = tok_value(t);
    if (value == NULL)
        return NULL;
    PyObject *args = PyTuple_Pack(1, value);
    if (args == NULL)
        return NULL;
    PyObject *obj = PyUnicode_Type.tp_new((PyTypeObject *)lark_token_type, args, NULL);
    Py_DECREF(args);
    if (obj == NULL)
        return NULL;
    Py_ssize_t ints[8] = {0, t->start, 0, t->line, t->col, t->end_line, t->end_col, t->end};
    PyObject *name = PyTuple_GET_ITEM(t->owner->eng->type_names, t->type);
    put_const(obj, lark_slots[0], name);
    put_const(obj, lark_slots[2], value);
    for (int i = 1; i < 8; i++) {
        if (i == 2)
            continue;
        PyObject *n = PyLong_FromSsize_t(ints[i]);
        if (n == NULL) {
            Py_DECREF(obj);
            return NULL;
        }
        put(obj, lark_slots[i], n);
    }
    Py_INCREF(obj);
    t->lark = obj;
    return obj;
}

PyTypeObject Tok_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "weftc.syntax._cfront.Tok",
    .tp_basicsize = sizeof(Tok),
    .tp_dealloc = tok_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A token of the C parser (internal).",
};

/* The terminal id of a Tok or of a lark Token (by its type name), else -1. */
int
token_type_id(Parse *p, PyObject *x)
{
    if (IS_TOK(x))
        return ((Tok *)x)->type;
    if (lark_token_type == NULL || !Py_IS_TYPE(x, (PyTypeObject *)lark_token_type))
        return -1;
    PyObject *name = SLOT(x, lark_slots[0]);
    PyObject *id = name ? PyDict_GetItem(p->eng->type_ids, name) : NULL;
    return id ? (int)PyLong_AsLong(id) : -1;
}
