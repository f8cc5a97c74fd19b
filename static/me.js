// My page and the rental page: accept / reject / cancel / return, and the review dialog.
import { wireRentals } from './lib.js';

wireRentals(document.querySelector('main'), () => setTimeout(() => location.reload(), 300));
