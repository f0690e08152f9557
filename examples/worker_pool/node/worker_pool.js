'use strict';
// Node's documented WorkerPool (doc/api/async_context.md, "Using
// AsyncResource for a Worker thread pool"), unchanged in what matters: the
// WorkerPoolTaskInfo resource is created in runTask(), which for a queued
// task runs from the kWorkerFreedEvent listener, inside the 'message'
// callback of the task that finished before it. The same 100 requests x 100
// tasks as ../main.cpp; prints how many callbacks saw the wrong store.
//
//   node examples/worker_pool/node/worker_pool.js
const { AsyncResource, AsyncLocalStorage } = require('node:async_hooks');
const { EventEmitter } = require('node:events');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const kTaskInfo = Symbol('kTaskInfo');
const kWorkerFreedEvent = Symbol('kWorkerFreedEvent');

class WorkerPoolTaskInfo extends AsyncResource {
  constructor(callback) {
    super('WorkerPoolTaskInfo');
    this.callback = callback;
  }
  done(err, result) {
    this.runInAsyncScope(this.callback, null, err, result);
    this.emitDestroy();
  }
}

class WorkerPool extends EventEmitter {
  constructor(numThreads) {
    super();
    this.workers = [];
    this.freeWorkers = [];
    this.tasks = [];
    for (let i = 0; i < numThreads; i++) this.addNewWorker();
    this.on(kWorkerFreedEvent, () => {
      if (this.tasks.length > 0) {
        const { task, callback } = this.tasks.shift();
        this.runTask(task, callback);
      }
    });
  }
  addNewWorker() {
    const worker = new Worker(path.join(__dirname, 'task_processor.js'));
    worker.on('message', (result) => {
      worker[kTaskInfo].done(null, result);
      worker[kTaskInfo] = null;
      this.freeWorkers.push(worker);
      this.emit(kWorkerFreedEvent);
    });
    this.workers.push(worker);
    this.freeWorkers.push(worker);
    this.emit(kWorkerFreedEvent);
  }
  runTask(task, callback) {
    if (this.freeWorkers.length === 0) {
      this.tasks.push({ task, callback });
      return;
    }
    const worker = this.freeWorkers.pop();
    worker[kTaskInfo] = new WorkerPoolTaskInfo(callback);
    worker.postMessage(task);
  }
  close() {
    for (const worker of this.workers) worker.terminate();
  }
}

const requests = 100;
const perRequest = 100;
const als = new AsyncLocalStorage();
const pool = new WorkerPool(4);
let done = 0;
let wrong = 0;
for (let r = 0; r < requests; r++) {
  als.run(r, () => {
    for (let t = 0; t < perRequest; t++) {
      pool.runTask(r * perRequest + t + 1, () => {
        if (als.getStore() !== r) wrong++;
        if (++done === requests * perRequest) {
          console.log(`tasks ${done}, contexts ${requests}, wrong context ${wrong}`);
          pool.close();
        }
      });
    }
  });
}
