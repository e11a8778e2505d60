/* C accelerator for the connection layer: `first_step`.
 *
 * Why: most handlers finish without ever suspending, so connections run a
 * service coroutine inline until it first suspends (weft.connection.eager).
 * In Python that is `coro.send(None)` plus a StopIteration raised and caught
 * for every request; CPython's PyIter_Send returns the coroutine's value
 * without raising anything. `py_first_step` in eager.py is the
 * specification: same results, same exceptions (tests compare them).
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

static PyTypeObject *suspended_type;
static Py_ssize_t suspended_value_off = -1;

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

/* first_step(coro): its return value, or Suspended(value it yielded). */
static PyObject *
first_step(PyObject *module, PyObject *coro)
{
    if (suspended_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "weft.connection._native is not bound");
        return NULL;
    }
    PyObject *result = NULL;
    PySendResult r = PyIter_Send(coro, Py_None, &result);
    if (r == PYGEN_RETURN)
        return result;
    if (r == PYGEN_ERROR)
        return NULL;
    PyObject *s = suspended_type->tp_alloc(suspended_type, 0);
    if (s == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    SLOT(s, suspended_value_off) = result;  /* a fresh object: the slot was empty */
    return s;
}

static PyObject *
bind(PyObject *module, PyObject *arg)
{
    if (!PyType_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "bind needs the Suspended class");
        return NULL;
    }
    PyTypeObject *tp = (PyTypeObject *)arg;
    PyObject *descr = PyDict_GetItemString(tp->tp_dict, "value");
    if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type)
        || ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX) {
        PyErr_SetString(PyExc_TypeError, "Suspended.value is not an object slot");
        return NULL;
    }
    suspended_value_off = ((PyMemberDescrObject *)descr)->d_member->offset;
    Py_INCREF(tp);
    Py_XSETREF(suspended_type, tp);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"bind", bind, METH_O, "bind(Suspended): the class first_step answers with"},
    {"first_step", first_step, METH_O,
     "first_step(coro): run coro until it returns (its value) or first yields "
     "(Suspended(yielded)); exceptions propagate"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "weft.connection._native",
    "C accelerator for the connection layer (see _native.c).", -1, methods};

PyMODINIT_FUNC
PyInit__native(void)
{
    return PyModule_Create(&module_def);
}
