// Loaded with `node --require`: makes `require('vscode')` return the stand-in.
'use strict';
const Module = require('node:module');
const path = require('node:path');

const standIn = path.join(__dirname, 'vscode-stand-in.js');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? standIn : resolve.call(this, request, ...rest);
};
