/* Helpers shared by weft's C accelerators (the `_native.c` modules).
 *
 * The accelerators read and write the slots of weft's own `__slots__`
 * classes directly, at the offsets of their member descriptors, found once
 * when a module is bound and checked to be object slots. That is what the
 * descriptors themselves do, without the attribute lookup each time.
 */

#ifndef WEFT_NATIVE_SLOTS_H
#define WEFT_NATIVE_SLOTS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

/* The offsets of `names` in `tp` (object slots only); -1 with TypeError otherwise. */
static inline int
slot_offsets(PyTypeObject *tp, const char *const *names, int count, Py_ssize_t *out)
{
    for (int i = 0; i < count; i++) {
        PyObject *descr = PyDict_GetItemString(tp->tp_dict, names[i]);
        if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type)
            || ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX) {
            PyErr_Format(PyExc_TypeError, "%s.%s is not an object slot", tp->tp_name, names[i]);
            return -1;
        }
        out[i] = ((PyMemberDescrObject *)descr)->d_member->offset;
    }
    return 0;
}

/* Store a new reference into a slot (stolen), releasing what was there. */
static inline void
put(PyObject *obj, Py_ssize_t off, PyObject *value)
{
    PyObject *old = SLOT(obj, off);
    SLOT(obj, off) = value;
    Py_XDECREF(old);
}

/* Store a borrowed reference into a slot. */
static inline void
put_const(PyObject *obj, Py_ssize_t off, PyObject *value)
{
    Py_INCREF(value);
    put(obj, off, value);
}

/* Keep a new reference to each src[i] in *dest[i], releasing what was there
 * (what each module's bind stores). */
static inline void
keep_all(PyObject **const *dest, PyObject *const *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        Py_INCREF(src[i]);
        Py_XSETREF(*dest[i], src[i]);
    }
}

/* The raised exception as an object carrying its traceback; the error is cleared. */
static inline PyObject *
take_exception(void)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL)
        PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
}

/* Module attribute NAME_method: function NAME wrapped to bind like a Python
 * function when set on a class (obj.NAME(...) passes obj first). */
static inline int
add_method_wrapper(PyObject *m, const char *name)
{
    PyObject *fn = PyObject_GetAttrString(m, name);
    if (fn == NULL)
        return -1;
    PyObject *method = PyInstanceMethod_New(fn);
    Py_DECREF(fn);
    char attr[64];
    snprintf(attr, sizeof attr, "%s_method", name);
    if (method == NULL || PyModule_AddObject(m, attr, method) < 0) {
        Py_XDECREF(method);
        return -1;
    }
    return 0;
}

#endif
